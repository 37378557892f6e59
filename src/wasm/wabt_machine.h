// WabtMachine: wabt's interpreter behind an interface of plain types, for InterpretedModule
// (interpreter.h). wabt 1.0.32's interpreter headers do not compile as C++20 (interp-inl.h names a
// destructor with a template-id), so wabt_machine.cc alone is compiled as C++17 (CMakeLists.txt) and
// this header includes nothing of wabt.
//
// A WabtCode is a module read once (shared, read-only); a WabtMachine is one instantiation of it, with
// its own wabt Store: one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace fixnet::wasm {

class WabtCode {
 public:
  struct Import {
    std::string module, name;
    std::vector<bool> param_is_i64;  // else i32 (imports take and return integers only)
    bool has_result = false;
    bool result_is_i64 = false;
  };

  // Reads a binary module with fixnet's features (wabt_features.h); nullptr and `*error` if wabt
  // refuses it.
  static std::unique_ptr<WabtCode> read(const uint8_t* data, size_t size, std::string* error);
  ~WabtCode();

  const std::vector<Import>& imports() const { return imports_; }

  struct Description;
  const Description& description() const { return *description_; }

 private:
  WabtCode();
  std::unique_ptr<Description> description_;
  std::vector<Import> imports_;
};

class WabtMachine {
 public:
  // Answers import `import` with its arguments (zero-extended to u64) and sets *result; returns false
  // if the host function failed (the call then ends with Outcome::Kind::Stopped).
  using Host = std::function<bool(uint32_t import, const uint64_t* args, uint64_t* result)>;

  struct Outcome {
    enum class Kind { Returned, Trapped, Stopped } kind = Kind::Returned;
    uint32_t result = 0;  // the i32 the function returned, if it returns one
    std::string trap;     // wabt's message, when Trapped
  };

  // Instantiates `code` (which must outlive the machine). If instantiation traps, `*trap` gets wabt's
  // message and the machine must not be used.
  WabtMachine(const WabtCode& code, Host host, std::string* trap);
  ~WabtMachine();
  WabtMachine(const WabtMachine&) = delete;
  WabtMachine& operator=(const WabtMachine&) = delete;

  // Calls exported function `name` with i32 arguments.
  Outcome call(const std::string& name, const std::vector<uint32_t>& args);

  // Global `index` (an i32 or i64 global), zero-extended; and its new value.
  uint64_t global(uint32_t index) const;
  void set_global(uint32_t index, uint64_t value);

  // Memory 0, if the module has one: its bytes now (they move when it grows).
  bool has_memory() const;
  uint8_t* memory();
  uint64_t memory_bytes() const;

  // Globals, data and element segments back to their state right after instantiation (memory is the
  // caller's), and what traps left in the Store collected.
  void reset_to_instantiation();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace fixnet::wasm
