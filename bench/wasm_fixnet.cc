#include "bench/wasm_fixnet.h"

#include "bench/embedded_modules.h"

namespace fixnet::bench {

WasmFixnet::WasmFixnet(wasm::Engine engine) : engine(engine), runner(cache.path(), wasm::WasmRunnerOptions{engine}) {
  NativeProcedures::add_builtins(natives);
  dispatcher.add(&natives);
  dispatcher.add(&runner);
}

Name WasmFixnet::example(std::string_view name) {
  const Name module = store.put_blob(embedded_module(name));
  if (engine != wasm::Engine::Interp) runner.prepare(store, module);
  return module;
}

Name u8_literal(uint8_t v) { return Name::literal(std::string(1, static_cast<char>(v))); }

Name u64_literal(uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  return Name::literal({b, 8});
}

}  // namespace fixnet::bench
