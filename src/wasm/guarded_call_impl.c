/* The two things of run_guarded() that are C rather than C++: the setjmp frame (a C++ frame between a
 * setjmp and its longjmp would have its destructors skipped) and the switch to the guest stack. */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*fixnet_guest_body)(void*);

typedef struct {
  fixnet_guest_body body;
  void* arg;
  jmp_buf** slot;
  int code;
} fixnet_guarded;

static void fixnet_guarded_entry(void* p) {
  fixnet_guarded* g = (fixnet_guarded*)p;
  jmp_buf here;
  jmp_buf* outer = *g->slot;
  *g->slot = &here;
  /* _setjmp: no signal mask to save or restore, so no system call on either side. */
  int code = _setjmp(here);
  if (code == 0) g->body(g->arg);
  *g->slot = outer;
  g->code = code;
}

#if defined(__SANITIZE_ADDRESS__)
#define FIXNET_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIXNET_ASAN 1
#endif
#endif

#if defined(__x86_64__) && !defined(FIXNET_ASAN)
/* Calls fn(arg) with the stack pointer at `top` (16-byte aligned), then returns on the caller's stack.
 * rbp keeps the caller's stack pointer; the CFI lets debuggers walk through the switch. */
void fixnet_call_on_stack(void (*fn)(void*), void* arg, void* top);
__asm__(
    ".text\n"
    ".globl fixnet_call_on_stack\n"
    ".hidden fixnet_call_on_stack\n"
    ".type fixnet_call_on_stack,@function\n"
    "fixnet_call_on_stack:\n"
    "  .cfi_startproc\n"
    "  pushq %rbp\n"
    "  .cfi_def_cfa_offset 16\n"
    "  .cfi_offset %rbp, -16\n"
    "  movq %rsp, %rbp\n"
    "  .cfi_def_cfa_register %rbp\n"
    "  movq %rdx, %rsp\n"
    "  movq %rdi, %rax\n"
    "  movq %rsi, %rdi\n"
    "  callq *%rax\n"
    "  movq %rbp, %rsp\n"
    "  popq %rbp\n"
    "  .cfi_def_cfa %rsp, 8\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size fixnet_call_on_stack, .-fixnet_call_on_stack\n");
#define FIXNET_HAVE_STACK_SWITCH 1
#else
/* Elsewhere (and under AddressSanitizer, which tracks stacks itself) the guest runs on the caller's
 * stack; the depth limit still bounds it, but the caller must have room. */
#define FIXNET_HAVE_STACK_SWITCH 0
#endif

int fixnet_wasm_run_guarded(fixnet_guest_body body, void* arg, jmp_buf** slot, void* stack_top) {
  fixnet_guarded g = {body, arg, slot, 0};
#if FIXNET_HAVE_STACK_SWITCH
  if (stack_top) {
    fixnet_call_on_stack(fixnet_guarded_entry, &g, stack_top);
    return g.code;
  }
#else
  (void)stack_top;
#endif
  fixnet_guarded_entry(&g);
  return g.code;
}

void fixnet_wasm_longjmp(jmp_buf* target, int code) { _longjmp(*target, code); }

int fixnet_wasm_stack_switch_supported(void) { return FIXNET_HAVE_STACK_SWITCH; }
