#include "wasm/wat.h"

#include <fmt/format.h>
#include <wabt/binary-writer.h>
#include <wabt/ir.h>
#include <wabt/resolve-names.h>
#include <wabt/stream.h>
#include <wabt/wast-lexer.h>
#include <wabt/wast-parser.h>

#include "core/error.h"

namespace fixnet::wasm {

std::string wat_to_wasm(std::string_view wat) {
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("procedure.wat", wat.data(), wat.size(), &errors);
  wabt::Features features;
  features.EnableAll();
  wabt::WastParseOptions parse_options(features);
  std::unique_ptr<wabt::Module> module;
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options)) ||
      wabt::Failed(wabt::ResolveNamesModule(module.get(), &errors)))
    throw InputError(fmt::format("not a valid WebAssembly text module: {}",
                                 errors.empty() ? "parse error" : errors.front().message));
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write_options(features, true, false, false);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, module.get(), write_options)))
    throw InputError("the WebAssembly text module could not be written as a binary");
  const auto& data = stream.output_buffer().data;
  return std::string(reinterpret_cast<const char*>(data.data()), data.size());
}

}  // namespace fixnet::wasm
