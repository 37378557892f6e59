// How net reports a failed system call: an EnvironmentError naming the call, the object it was
// about and errno's text. Bad data from a peer is an InputError instead (see the callers).
#pragma once

#include <string_view>

namespace fixnet::net {

[[noreturn]] void throw_system_error(std::string_view call, std::string_view about);

}  // namespace fixnet::net
