// The host side of fixnet_host_api: the guest API functions (handles, reading, creating) and the
// wasm-rt callbacks, as the table given to every compiled procedure when it is bound.
//
// Every guest API function validates its handles, pointers and lengths against the invocation's handle
// table and the guest's memory; misuse throws ProcedureError inside the function, which is caught
// there, recorded in the HostContext and turned into a trap (the guest never resumes).
//
// The same functions serve wabt's interpreter (interpreter.h) through call_guest_api and call_wasi,
// which throw instead: the interpreter turns the exception into its own trap.
#pragma once

#include <cstdint>

#include "fixnet_abi.h"

namespace fixnet::wasm {

struct HostContext;

const fixnet_host_api& host_api();

// Guest API function `index` (its place in guest_functions()) with the guest's arguments, zero-extended
// to u64 in the order of its Wasm signature; returns its result zero-extended (0 for none). Misuse
// throws ProcedureError, fixnet_fail a GuestFailure.
uint64_t call_guest_api(HostContext& c, uint32_t index, const uint64_t* args);

// WASI call `call` of a Flatware program, answered by c.system. Returns the errno; sets *exited (and
// c.exit_code) for proc_exit. Throws like call_guest_api.
uint32_t call_wasi(HostContext& c, uint32_t call, const uint64_t* args, bool* exited);

}  // namespace fixnet::wasm
