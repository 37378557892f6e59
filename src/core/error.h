// Errors of the core library.
//
// Every error says which input was wrong and what to do; the CLI prints what() on one line and exits
// non-zero. Two families matter to the evaluator:
//  - ProcedureError: a failure the inputs determine (a procedure rejected its arguments, a trap). It
//    becomes an error *value* and is memoized like any result.
//  - EnvironmentError: a failure the environment caused (disk full, object missing, host out of
//    memory). It is reported and never memoized: the same computation may succeed later.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace fixnet {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Malformed input from a user or a file: a bad Name, expression, object file, label.
class InputError : public Error {
 public:
  using Error::Error;
};

// A deterministic failure of a computation; becomes an error value (see docs/semantics.md).
class ProcedureError : public Error {
 public:
  using Error::Error;
};

// A failure of the environment; never memoized.
class EnvironmentError : public Error {
 public:
  using Error::Error;
};

// The object a Name refers to is not held by the store asked. An environmental failure: another
// store (a peer, a repository) may hold it.
class NotFoundError : public EnvironmentError {
 public:
  using EnvironmentError::EnvironmentError;
};

// Text from outside (an expression, a path, a Name typed by a user) made safe for a one-line
// message: control characters escaped, and cut to `max_chars` with "…".
std::string one_line(std::string_view text, size_t max_chars = 80);

}  // namespace fixnet
