/* fixnet guest API: what a C procedure includes.
 *
 * A procedure is a WebAssembly module compiled with Debian's stock clang, no libc needed:
 *
 *     clang --target=wasm32 -O2 -ffreestanding -nostdlib -I<fixnet>/include \
 *           -Wl,--no-entry -o add.wasm add.c
 *
 * (or fixnet_add_procedure() in CMake). It defines one function, _fixnet_apply, which receives a
 * handle to its evaluated encode tree [limits, procedure, arg...] and returns a handle to its result:
 * any Name — a value (Blob or Tree), or a thunk the evaluator forces next.
 *
 * Handles are small integers valid for one invocation: indices into a table the host keeps for that
 * call. The host checks every handle, pointer and length; any misuse (a handle never given out, a
 * read past the end of a Blob or of the guest's memory, reading a Ref's contents) is a trap, and the
 * trap becomes the invocation's error value. Nothing here can observe the machine: the same inputs
 * give the same result everywhere. docs/guest-api.md is the reference.
 *
 * Host code may include this header for the kind constants; the imports exist only on wasm32. */
#ifndef FIXNET_GUEST_H_
#define FIXNET_GUEST_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t fixnet_handle;

/* What a handle names (fixnet_kind). Refs are values whose contents are not accessible here. */
enum {
  FIXNET_KIND_BLOB = 1,
  FIXNET_KIND_TREE = 2,
  FIXNET_KIND_BLOB_REF = 3,
  FIXNET_KIND_TREE_REF = 4,
  FIXNET_KIND_APPLICATION = 5,
  FIXNET_KIND_IDENTIFICATION = 6,
  FIXNET_KIND_SELECTION = 7,
  FIXNET_KIND_STRICT = 8,
  FIXNET_KIND_SHALLOW = 9
};

/* Entries of an encode tree. */
enum { FIXNET_ENCODE_LIMITS = 0, FIXNET_ENCODE_PROCEDURE = 1, FIXNET_ENCODE_FIRST_ARG = 2 };

#if defined(__wasm__)

#define FIXNET_IMPORT(name) __attribute__((import_module("fixnet"), import_name(#name)))

/* --- Reading ------------------------------------------------------------------------------------ */
/* The kind of h (FIXNET_KIND_*). */
FIXNET_IMPORT(kind) uint32_t fixnet_kind(fixnet_handle h);
/* Bytes of a Blob, entries of a Tree (Refs too: the size is part of the Name). Traps on a thunk. */
FIXNET_IMPORT(size) uint64_t fixnet_size(fixnet_handle h);
/* Entry i of an accessible Tree. Traps if i >= size. */
FIXNET_IMPORT(tree_entry) fixnet_handle fixnet_tree_entry(fixnet_handle tree, uint64_t i);
/* Copies bytes [offset, offset + len) of an accessible Blob to guest memory at dst. Traps if the range
 * is not inside the Blob or dst + len is not inside the guest's memory. */
FIXNET_IMPORT(blob_read) void fixnet_blob_read(fixnet_handle blob, uint64_t offset, void* dst, uint32_t len);
/* A Blob of at most 8 bytes as a little-endian integer (the common case of small numbers, with no
 * copy into guest memory). Traps on a longer Blob. */
FIXNET_IMPORT(blob_u64) uint64_t fixnet_blob_u64(fixnet_handle blob);

/* --- Creating ----------------------------------------------------------------------------------- */
/* A Blob of the len bytes at src. */
FIXNET_IMPORT(blob_create) fixnet_handle fixnet_blob_create(const void* src, uint32_t len);
/* A Blob of the low nbytes (0..8) bytes of v, little-endian. */
FIXNET_IMPORT(blob_from_u64) fixnet_handle fixnet_blob_from_u64(uint64_t v, uint32_t nbytes);
/* A Tree of the count handles at src. Entries keep their kind: a Ref stays a Ref, a thunk stays lazy. */
FIXNET_IMPORT(tree_create) fixnet_handle fixnet_tree_create(const fixnet_handle* src, uint32_t count);
/* Thunks. application: of a Tree [limits, procedure, arg...]; identification: of a value (a Ref
 * included: forcing it gives the value, accessible to whoever forces it); selection: of a Tree
 * [target, index] or [target, begin, end] (indices are Blobs of <= 8 bytes, u64 LE). */
FIXNET_IMPORT(application) fixnet_handle fixnet_application(fixnet_handle tree);
FIXNET_IMPORT(identification) fixnet_handle fixnet_identification(fixnet_handle value);
FIXNET_IMPORT(selection) fixnet_handle fixnet_selection(fixnet_handle tree);
/* Encodes of a thunk, for entries of a Tree: Strict is replaced by the thunk's value before the
 * enclosing application runs, Shallow by a Ref to it. */
FIXNET_IMPORT(strict) fixnet_handle fixnet_strict(fixnet_handle thunk);
FIXNET_IMPORT(shallow) fixnet_handle fixnet_shallow(fixnet_handle thunk);

/* --- This invocation ---------------------------------------------------------------------------- */
/* The limits this call runs under, defaults applied: memory bytes and fuel. */
FIXNET_IMPORT(limit_memory) uint64_t fixnet_limit_memory(void);
FIXNET_IMPORT(limit_fuel) uint64_t fixnet_limit_fuel(void);
/* Ends the invocation with an error value carrying this message (UTF-8, one line). */
FIXNET_IMPORT(fail) __attribute__((noreturn)) void fixnet_fail(const char* message, uint32_t len);

/* The entry point every procedure defines. */
__attribute__((export_name("_fixnet_apply"))) fixnet_handle _fixnet_apply(fixnet_handle encode);

/* --- Conveniences (no host calls of their own) ---------------------------------------------------- */
static inline int fixnet_is_blob(fixnet_handle h) { return fixnet_kind(h) == FIXNET_KIND_BLOB; }
static inline int fixnet_is_tree(fixnet_handle h) { return fixnet_kind(h) == FIXNET_KIND_TREE; }
static inline int fixnet_is_ref(fixnet_handle h) {
  uint32_t k = fixnet_kind(h);
  return k == FIXNET_KIND_BLOB_REF || k == FIXNET_KIND_TREE_REF;
}
static inline int fixnet_is_thunk(fixnet_handle h) {
  uint32_t k = fixnet_kind(h);
  return k >= FIXNET_KIND_APPLICATION && k <= FIXNET_KIND_SELECTION;
}
static inline int fixnet_is_encode(fixnet_handle h) { return fixnet_kind(h) >= FIXNET_KIND_STRICT; }

/* Argument i (0-based) of an encode tree. */
static inline fixnet_handle fixnet_arg(fixnet_handle encode, uint64_t i) {
  return fixnet_tree_entry(encode, FIXNET_ENCODE_FIRST_ARG + i);
}
static inline uint64_t fixnet_arg_count(fixnet_handle encode) {
  return fixnet_size(encode) - FIXNET_ENCODE_FIRST_ARG;
}

/* fixnet_fail with a string literal. */
#define FIXNET_FAIL(literal) fixnet_fail((literal), sizeof(literal) - 1)

#endif /* __wasm__ */

#ifdef __cplusplus
}
#endif

#endif /* FIXNET_GUEST_H_ */
