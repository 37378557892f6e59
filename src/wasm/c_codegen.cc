#include "wasm/c_codegen.h"

#include <fmt/format.h>
#include <wabt/apply-names.h>
#include <wabt/c-writer.h>
#include <wabt/cast.h>
#include <wabt/generate-names.h>
#include <wabt/ir.h>
#include <wabt/stream.h>

#include "core/error.h"
#include "wasm/runtime_text.h"

namespace fixnet::wasm {
namespace {

std::string text_of(wabt::MemoryStream& stream) {
  const wabt::OutputBuffer& out = stream.output_buffer();
  return std::string(reinterpret_cast<const char*>(out.data.data()), out.data.size());
}

// The memory offset of active data segment i, checked to be a constant.
uint64_t active_segment_offset(const wabt::Module& module, size_t i) {
  const wabt::DataSegment& segment = *module.data_segments[i];
  // Validation allows only a constant (or an imported global, which procedures cannot import).
  const auto* constant =
      segment.offset.size() == 1 ? wabt::dyn_cast<wabt::ConstExpr>(&segment.offset.front()) : nullptr;
  if (!constant || constant->const_.type() != wabt::Type::I32)
    throw ProcedureError(fmt::format("invalid procedure module: data segment {} has a non-constant offset", i));
  return constant->const_.u32();
}

// Empties every active data segment of `module` into `image` and returns the C that describes them to
// the glue. Segments keep their index (data.drop and memory.init still name them); an emptied active
// segment behaves like the dropped segment it is after instantiation anyway.
std::string extract_data_segments(wabt::Module& module, std::string& image) {
  check_data_segments(module);
  std::string table;
  uint32_t count = 0;
  for (size_t i = 0; i < module.data_segments.size(); ++i) {
    wabt::DataSegment& segment = *module.data_segments[i];
    if (segment.kind != wabt::SegmentKind::Active || segment.data.empty()) continue;
    const uint64_t offset = active_segment_offset(module, i);
    table += fmt::format("  {{{}u, {}u, {}u}},\n", offset, segment.data.size(), image.size());
    image.append(reinterpret_cast<const char*>(segment.data.data()), segment.data.size());
    segment.data.clear();
    segment.data.shrink_to_fit();
    ++count;
  }
  image.push_back('\0');  // never empty: .incbin of an empty file leaves the symbol without storage
  return fmt::format(
      "#include <stdint.h>\n"
      "#define FIXNET_DATA_SEGMENTS {}\n"
      "static const uint64_t fixnet_data_segments[][3] = {{\n{}  {{0, 0, 0}}\n}};\n"
      "__asm__(\".section .rodata.fixnet_data,\\\"a\\\",@progbits\\n.balign 64\\n"
      ".globl fixnet_data_image\\n.hidden fixnet_data_image\\nfixnet_data_image:\\n.incbin \\\"{}\\\"\\n.previous\\n\");\n"
      "extern const uint8_t fixnet_data_image[] __attribute__((visibility(\"hidden\")));\n",
      count, table, kDataImageName);
}

// wasm2c's load and store helpers are `static inline`, but in a large function gcc may keep them as
// calls (a sort loop spent 13% of its time in an out-of-line i32_load): every guest memory access
// pays a call. They are a bounds check and a memcpy, so they are always inlined.
std::string always_inline_memory_access(std::string c) {
  for (const std::string_view helper :
       {"static inline t3 name(wasm_rt_memory_t* mem, u64 addr)",
        "static inline void name(wasm_rt_memory_t* mem, u64 addr, t2 value)"}) {
    const std::string forced = "static inline __attribute__((always_inline))" + std::string(helper.substr(13));
    for (size_t at = c.find(helper); at != std::string::npos; at = c.find(helper, at + forced.size()))
      c.replace(at, helper.size(), forced);
  }
  return c;
}

}  // namespace

void check_data_segments(const wabt::Module& module) {
  const uint64_t memory_bytes =
      module.memories.empty() ? 0 : module.memories[0]->page_limits.initial * uint64_t{65536};
  for (size_t i = 0; i < module.data_segments.size(); ++i) {
    const wabt::DataSegment& segment = *module.data_segments[i];
    if (segment.kind != wabt::SegmentKind::Active) continue;
    const uint64_t offset = active_segment_offset(module, i);
    if (offset + segment.data.size() > memory_bytes)
      throw ProcedureError(fmt::format(
          "invalid procedure module: data segment {} ({} bytes at {}) is outside the initial memory of {} bytes",
          i, segment.data.size(), offset, memory_bytes));
  }
}

GeneratedC generate_c(std::unique_ptr<wabt::Module> owned, const ModuleFacts& facts,
                      const Instrumented& instrumented, const SplitLimits& limits) {
  wabt::Module& module = *owned;
  // wasm2c names everything it emits; names never come from the guest (debug names are not read).
  GeneratedC out;
  const std::string data_table = extract_data_segments(module, out.data_image);
  if (wabt::Failed(wabt::GenerateNames(&module)))
    throw ProcedureError("wasm2c could not name the module's items");
  (void)wabt::ApplyNames(&module);  // like wasm2c itself: a name that cannot be applied is skipped
  std::string wasm2c;
  {
    wabt::MemoryStream c_stream, h_stream;
    wabt::WriteCOptions options;
    options.module_name = "m";  // every symbol is local to its shared object, so one name serves all
    if (wabt::Failed(wabt::WriteC(&c_stream, &h_stream, kGeneratedHeaderName, &module, options)))
      throw ProcedureError("wasm2c could not translate the module to C");
    out.header = text_of(h_stream);
    wasm2c = always_inline_memory_access(text_of(c_stream));
  }
  const size_t function_count = module.funcs.size() - module.num_func_imports;
  owned.reset();  // GBs for a big module: gone before its C is cut and copied

  const std::string defines = fmt::format(
      "/* Generated by fixnet's trusted toolchain: wasm2c output, then the glue. */\n"
      "#define FIXNET_IMPORTS_FIXNET {}\n"
      "#define FIXNET_IMPORTS_WASI {}\n"
      "#define FIXNET_IS_PROGRAM {}\n"
      "#define FIXNET_MAY_WRITE_TABLE {}\n"
      "#define FIXNET_DIRTY_SHIFT {}\n"
      "#include \"{}\"\n",
      int{facts.imports_fixnet}, int{facts.imports_wasi}, int{facts.is_program}, int{facts.may_write_table},
      instrumented.dirty_shift, kGeneratedHeaderName);
  const std::string tail = data_table + "\n" + std::string(glue_text());

  if (wasm2c.size() < limits.part_bytes) {
    out.not_split = fmt::format("{} bytes of C, under {}", wasm2c.size(), limits.part_bytes);
  } else {
    auto split = split_c(wasm2c, function_count, limits);
    if (auto* why = std::get_if<std::string>(&split)) {
      out.not_split = *why;
    } else {
      SplitC& parts = std::get<SplitC>(split);
      const std::string include = fmt::format("#include \"{}\"\n", kSharedHeaderName);
      // In a function unit the export that returns the depth counter's address is in another unit:
      // FUNC_PROLOGUE reads the field directly instead of calling it in every function.
      out.shared = defines + parts.shared +
                   fmt::format("#define wasm_rt_call_stack_depth (instance->{})\n", parts.depth_field);
      out.source = include + parts.main + tail;
      for (CFunctionPart& part : parts.parts) {
        part.text.insert(0, include);
        out.parts.push_back(std::move(part));
      }
      return out;
    }
  }
  // wasm2c's call-depth counter is a process-wide global in its own runtime; here it is a field of
  // the instance (see instrument.h), which is only ever used by one thread at a time.
  out.source = defines + "#define wasm_rt_call_stack_depth (*Z_mZ___fixnet_depth(instance))\n" + wasm2c + tail;
  return out;
}

}  // namespace fixnet::wasm
