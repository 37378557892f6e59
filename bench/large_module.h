// A large procedure for `fixnet bench compile`: a valid module of at least the given size, made of
// many small functions that load, add, multiply and store (what wasm2c and the C compiler spend their
// time on), exporting an apply function that returns its encode tree.
#pragma once

#include <cstddef>
#include <string>

namespace fixnet::bench {

std::string large_module(size_t min_bytes);

}  // namespace fixnet::bench
