// Failures raised inside host functions (see host_api.h). A guest misusing the API is a
// ProcedureError (deterministic); a guest calling fixnet_fail() is a GuestFailure, reported as the
// procedure's own message rather than as a trap.
#pragma once

#include "core/error.h"

namespace fixnet::wasm {

class GuestFailure : public ProcedureError {
 public:
  using ProcedureError::ProcedureError;
};

}  // namespace fixnet::wasm
