// Running guest code: on a dedicated stack, under a trap guard.
//
// Generated code reports a trap by calling the host's trap function, which longjmps back to the
// guard; nothing of C++ lies between the guard and the trap (generated C, glue, and host functions
// that have already caught their exceptions), so no destructor is skipped. The guest runs on a
// per-thread stack of kGuestStackBytes, so its depth limit × frame limit always fits whatever stack
// the calling thread has (evaluator recursion, small thread stacks).
#pragma once

#include <cstdint>

namespace fixnet::wasm {

using GuestBody = void (*)(void* arg);

// Runs body(arg) on this thread's guest stack; returns 0 when it returned, else the trap code it was
// unwound with by trap_unwind(). Re-entrant: a nested guard restores the outer one on return.
int run_guarded(GuestBody body, void* arg);

// Unwinds to the innermost run_guarded() of this thread with `code` (non-zero). Precondition: called
// from inside run_guarded(), with no C++ object with a destructor live since the guard.
[[noreturn]] void trap_unwind(uint32_t code);

}  // namespace fixnet::wasm
