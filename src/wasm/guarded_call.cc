#include "wasm/guarded_call.h"

#include <fmt/format.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "wasm/sandbox_limits.h"

extern "C" {
int fixnet_wasm_run_guarded(void (*body)(void*), void* arg, void** slot, void* stack_top);
[[noreturn]] void fixnet_wasm_longjmp(void* guard, int code);
int fixnet_wasm_stack_switch_supported(void);
}

namespace fixnet::wasm {
namespace {

// The innermost guard of this thread (what it is: guarded_call_impl.c), or null.
thread_local void* tl_guard = nullptr;
// Whether guest code runs on its own stack here (asked once: the answer is fixed at build time).
const bool stack_switch = fixnet_wasm_stack_switch_supported() != 0;

// This thread's guest stack: reserved on first use, with an inaccessible page below it so an overflow
// faults instead of writing into a neighbour; released when the thread ends. The hot path reads only
// the trivially destructible top pointer; the owner (with the destructor) is touched once per thread.
constexpr size_t kGuard = 64 * 1024;

class GuestStack {
 public:
  ~GuestStack() {
    if (base_) ::munmap(base_, kGuard + kGuestStackBytes);
  }
  char* reserve() {
    void* p = ::mmap(nullptr, kGuard + kGuestStackBytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (p == MAP_FAILED)
      throw EnvironmentError(fmt::format("cannot reserve a {} MiB guest stack: {}", kGuestStackBytes >> 20,
                                         std::strerror(errno)));
    ::mprotect(p, kGuard, PROT_NONE);
    base_ = static_cast<char*>(p);
    return base_ + kGuard + kGuestStackBytes;
  }

 private:
  char* base_ = nullptr;
};

thread_local char* tl_stack_top = nullptr;

char* stack_top() {
  if (!tl_stack_top) {
    thread_local GuestStack owner;
    tl_stack_top = owner.reserve();
  }
  return tl_stack_top;
}

}  // namespace

int run_guarded(GuestBody body, void* arg) {
  // A nested guard (a guest running while another runs on this thread) stays on the current stack.
  void* top = (stack_switch && !tl_guard) ? stack_top() : nullptr;
  return fixnet_wasm_run_guarded(body, arg, &tl_guard, top);
}

void trap_unwind(uint32_t code) { fixnet_wasm_longjmp(tl_guard, static_cast<int>(code)); }

}  // namespace fixnet::wasm
