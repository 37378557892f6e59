/* The part of run_guarded() that is not C++: the trap guard (a C++ frame between the guard and the
 * trap would have its destructors skipped) and the switch to the guest stack. */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*fixnet_guest_body)(void*);

#if defined(__SANITIZE_ADDRESS__)
#define FIXNET_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIXNET_ASAN 1
#endif
#endif

#if defined(__x86_64__) && !defined(FIXNET_ASAN)
/* On x86-64, the guard is one frame on the host's stack: the callee-saved registers, the address of
 * this thread's guard slot and the guard that was there before (restored on the way out, so guards
 * nest). The slot then holds the frame's address, and a trap returns by putting the stack pointer
 * back at the frame: a setjmp/longjmp pair that saves only what the ABI says a call keeps (glibc's
 * _setjmp also mangles the pointers it saves, which costs more than the rest of an empty guarded call;
 * the frame lives on the host's stack, which guest code cannot address). The body runs on the stack
 * whose top is given, or on the caller's. The CFI lets debuggers walk through the switch.
 *
 *   int fixnet_guard_call(body, arg, stack_top or NULL, slot): body(arg); 0, or the code of the trap
 *   void fixnet_guard_jump(frame, code): back to the guard whose frame it is, returning code */
int fixnet_guard_call(fixnet_guest_body body, void* arg, void* stack_top, void** slot);
__attribute__((noreturn)) void fixnet_guard_jump(void* frame, int code);
__asm__(
    ".text\n"
    ".globl fixnet_guard_call\n"
    ".hidden fixnet_guard_call\n"
    ".type fixnet_guard_call,@function\n"
    "fixnet_guard_call:\n"
    "  .cfi_startproc\n"
    "  pushq %rbp\n"
    "  .cfi_def_cfa_offset 16\n"
    "  .cfi_offset %rbp, -16\n"
    "  movq %rsp, %rbp\n"
    "  .cfi_def_cfa_register %rbp\n"
    "  pushq %rbx\n"
    "  pushq %r12\n"
    "  pushq %r13\n"
    "  pushq %r14\n"
    "  pushq %r15\n"
    "  pushq %rcx\n"           /* the slot */
    "  pushq (%rcx)\n"         /* the outer guard */
    "  movq %rsp, (%rcx)\n"    /* this guard: the frame */
    "  movq %rcx, %rbx\n"      /* kept by the body: the way back to the frame */
    "  subq $8, %rsp\n"        /* 16-byte alignment at the call when staying on this stack */
    "  testq %rdx, %rdx\n"
    "  cmovnzq %rdx, %rsp\n"
    "  movq %rdi, %rax\n"
    "  movq %rsi, %rdi\n"
    "  callq *%rax\n"
    "  xorl %eax, %eax\n"
    "  movq (%rbx), %rsp\n"
    "fixnet_guard_resume:\n"
    "  popq %rdx\n"
    "  popq %rcx\n"
    "  movq %rdx, (%rcx)\n"
    "  popq %r15\n"
    "  popq %r14\n"
    "  popq %r13\n"
    "  popq %r12\n"
    "  popq %rbx\n"
    "  popq %rbp\n"
    "  .cfi_def_cfa %rsp, 8\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size fixnet_guard_call, .-fixnet_guard_call\n"
    ".globl fixnet_guard_jump\n"
    ".hidden fixnet_guard_jump\n"
    ".type fixnet_guard_jump,@function\n"
    "fixnet_guard_jump:\n"
    "  movq %rdi, %rsp\n"
    "  movl %esi, %eax\n"
    "  jmp fixnet_guard_resume\n"
    ".size fixnet_guard_jump, .-fixnet_guard_jump\n");

int fixnet_wasm_run_guarded(fixnet_guest_body body, void* arg, void** slot, void* stack_top) {
  return fixnet_guard_call(body, arg, stack_top, slot);
}

void fixnet_wasm_longjmp(void* guard, int code) { fixnet_guard_jump(guard, code); }

int fixnet_wasm_stack_switch_supported(void) { return 1; }

#else
/* Elsewhere (and under AddressSanitizer, which must see every longjmp and tracks stacks itself) the
 * guard is a jmp_buf and the guest runs on the caller's stack; the depth limit still bounds it, but
 * the caller must have room. */
typedef struct {
  fixnet_guest_body body;
  void* arg;
  void** slot;
  int code;
} fixnet_guarded;

static void fixnet_guarded_entry(fixnet_guarded* g) {
  jmp_buf here;
  void* outer = *g->slot;
  *g->slot = &here;
  /* _setjmp: no signal mask to save or restore, so no system call on either side. */
  int code = _setjmp(here);
  if (code == 0) g->body(g->arg);
  *g->slot = outer;
  g->code = code;
}

int fixnet_wasm_run_guarded(fixnet_guest_body body, void* arg, void** slot, void* stack_top) {
  (void)stack_top;
  fixnet_guarded g = {body, arg, slot, 0};
  fixnet_guarded_entry(&g);
  return g.code;
}

void fixnet_wasm_longjmp(void* guard, int code) { _longjmp(*(jmp_buf*)guard, code); }

int fixnet_wasm_stack_switch_supported(void) { return 0; }
#endif
