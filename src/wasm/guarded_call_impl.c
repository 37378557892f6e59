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

#if defined(__SANITIZE_ADDRESS__)
#define FIXNET_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIXNET_ASAN 1
#endif
#endif

#if defined(__x86_64__) && !defined(FIXNET_ASAN)
/* The guard's own setjmp and longjmp: they save and restore only the callee-saved registers, the
 * stack pointer and the return address (8 words of the jmp_buf). glibc's _setjmp also mangles the
 * pointers it saves and checks for a shadow stack, which costs more than the rest of an empty guarded
 * call; neither is needed here: the buffer lives on the host's stack, which guest code cannot address,
 * and fixnet runs without a shadow stack. (Under AddressSanitizer, which must see every longjmp, glibc's
 * are used.) */
__attribute__((returns_twice)) int fixnet_setjmp(jmp_buf buf);
__attribute__((noreturn)) void fixnet_jump(jmp_buf buf, int code);
__asm__(
    ".text\n"
    ".globl fixnet_setjmp\n"
    ".hidden fixnet_setjmp\n"
    ".type fixnet_setjmp,@function\n"
    "fixnet_setjmp:\n"
    "  movq %rbx, 0(%rdi)\n"
    "  movq %rbp, 8(%rdi)\n"
    "  movq %r12, 16(%rdi)\n"
    "  movq %r13, 24(%rdi)\n"
    "  movq %r14, 32(%rdi)\n"
    "  movq %r15, 40(%rdi)\n"
    "  leaq 8(%rsp), %rdx\n"
    "  movq %rdx, 48(%rdi)\n"
    "  movq (%rsp), %rdx\n"
    "  movq %rdx, 56(%rdi)\n"
    "  xorl %eax, %eax\n"
    "  ret\n"
    ".size fixnet_setjmp, .-fixnet_setjmp\n"
    ".globl fixnet_jump\n"
    ".hidden fixnet_jump\n"
    ".type fixnet_jump,@function\n"
    "fixnet_jump:\n"
    "  movl %esi, %eax\n"
    "  movq 0(%rdi), %rbx\n"
    "  movq 8(%rdi), %rbp\n"
    "  movq 16(%rdi), %r12\n"
    "  movq 24(%rdi), %r13\n"
    "  movq 32(%rdi), %r14\n"
    "  movq 40(%rdi), %r15\n"
    "  movq 48(%rdi), %rsp\n"
    "  jmpq *56(%rdi)\n"
    ".size fixnet_jump, .-fixnet_jump\n");
#define FIXNET_SETJMP(buf) fixnet_setjmp(buf)
#define FIXNET_LONGJMP(buf, code) fixnet_jump(buf, code)
#else
/* _setjmp: no signal mask to save or restore, so no system call on either side. */
#define FIXNET_SETJMP(buf) _setjmp(buf)
#define FIXNET_LONGJMP(buf, code) _longjmp(buf, code)
#endif

static void fixnet_guarded_entry(void* p) {
  fixnet_guarded* g = (fixnet_guarded*)p;
  jmp_buf here;
  jmp_buf* outer = *g->slot;
  *g->slot = &here;
  int code = FIXNET_SETJMP(here);
  if (code == 0) g->body(g->arg);
  *g->slot = outer;
  g->code = code;
}

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

void fixnet_wasm_longjmp(jmp_buf* target, int code) { FIXNET_LONGJMP(*target, code); }

int fixnet_wasm_stack_switch_supported(void) { return FIXNET_HAVE_STACK_SWITCH; }
