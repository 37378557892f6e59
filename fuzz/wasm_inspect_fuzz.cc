// Fuzzes the first stage of the trusted toolchain (src/wasm/module_check.h): wabt's read and
// validate, then fixnet's inspection, on arbitrary bytes — the only stage that sees a module before
// fixnet has accepted it. Contract checked: it accepts, or throws ProcedureError with a one-line
// message; nothing else escapes, nothing crashes or overflows the stack (deep nesting is refused
// before wabt's recursive IR is built), and the verdict is deterministic. Accepted modules are also
// instrumented, which must keep them valid (instrument() throws if it does not: a bug here, so it
// aborts the fuzzer).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/error.h"
#include "wasm/instrument.h"
#include "wasm/module_check.h"

namespace {

// The verdict: "" for accepted, else the message.
std::string verdict(std::string_view bytes, bool instrument_accepted) {
  try {
    fixnet::wasm::CheckedModule checked = fixnet::wasm::check_module(bytes);
    if (instrument_accepted) {
      try {
        fixnet::wasm::instrument(*checked.module);
      } catch (const fixnet::ProcedureError&) {
        std::abort();  // instrumentation broke a module inspection accepted
      }
    }
    return "";
  } catch (const fixnet::ProcedureError& e) {
    const std::string message = e.what();
    if (message.empty() || message.find('\n') != std::string::npos) std::abort();
    return message;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string first = verdict(bytes, true);
  if (verdict(bytes, false) != first) std::abort();  // deterministic
  return 0;
}
