// The host side of fixnet_host_api: the guest API functions (handles, reading, creating) and the
// wasm-rt callbacks, as the table given to every compiled procedure when it is bound.
//
// Every guest API function validates its handles, pointers and lengths against the invocation's handle
// table and the guest's memory; misuse throws ProcedureError inside the function, which is caught
// there, recorded in the HostContext and turned into a trap (the guest never resumes).
#pragma once

#include "fixnet_abi.h"

namespace fixnet::wasm {

const fixnet_host_api& host_api();

}  // namespace fixnet::wasm
