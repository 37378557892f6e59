/* The binary interface between fixnet (the host) and a compiled procedure (a shared object made by the
 * trusted toolchain from wasm2c output plus runtime/glue.c).
 *
 * The host dlopens the object and calls its one visible symbol, fixnet_wasm_bind_v1, with the table of
 * host functions; it gets back the module's descriptor. Nothing else crosses: the object resolves no
 * symbol from the host (so executables need no -rdynamic), and the host finds no symbol but the
 * binder. This text is compiled into both sides and is part of the toolchain version, so a change here
 * invalidates every cached artifact.
 *
 * The guest API (what a procedure imports from module "fixnet") is listed once, below, as X-macros:
 * X(name, C result type, wasm results, wasm params, C params, C args). Wasm types are letters:
 * i = i32, I = i64. The host checks imports against these signatures before anything is compiled. */
#ifndef FIXNET_ABI_H_
#define FIXNET_ABI_H_

#include <stdint.h>

#include "wasi_abi.h"
#include "wasm-rt.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FIXNET_ABI_VERSION 3u

/* The guest-visible export names. */
#define FIXNET_APPLY_EXPORT "_fixnet_apply"
#define FIXNET_START_EXPORT "_start" /* a Flatware program's entry point (WASI) */
#define FIXNET_FUEL_EXPORT "__fixnet_fuel"
#define FIXNET_DEPTH_EXPORT "__fixnet_depth"
#define FIXNET_DIRTY_EXPORT "__fixnet_dirty"

/* Traps beyond wasm_rt_trap_t: raised by the host, never by generated code. */
#define FIXNET_TRAP_HOST 100u /* a host function failed; the host holds the reason */
#define FIXNET_TRAP_EXIT 101u /* a Flatware program called proc_exit; the host holds the code */

/* One handle of an invocation: its Name (32 bytes, layout version 1 of docs/format.md) and, once the
 * host has loaded a Tree, that Tree's entries (its Names, 32 bytes each), else 0. */
typedef struct fixnet_handle_slot {
  uint8_t name[32];
  const uint8_t* entries;
} fixnet_handle_slot;

/* The per-instance context: what wasm2c calls the instance of the imported module "fixnet", passed to
 * every import. The handle table lives here, in memory the guest's code cannot address (it reaches
 * only its linear memory), so the glue, which is trusted code compiled with the module, answers the
 * common reads and small creations itself without a call into the host (a call costs more than the
 * work); everything else, and every case that must fail, goes to the host. Only the host grows
 * `slots` (`capacity`); the glue appends while `count < capacity`. */
typedef struct Z_fixnet_instance_t {
  fixnet_handle_slot* slots;
  uint32_t count;
  uint32_t capacity;
  uint64_t limit_memory; /* the invocation's limits, defaults applied */
  uint64_t limit_fuel;
  void* host; /* the host's Instance */
} fixnet_env;

/* Guest API functions the glue answers itself in the common case (see fixnet_env), calling the host
 * for the rest. */
#define FIXNET_GUEST_API_FAST(X)                                                                           \
  X(kind, uint32_t, "i", "i", (fixnet_env * env, uint32_t h), (env, h))                                    \
  X(size, uint64_t, "I", "i", (fixnet_env * env, uint32_t h), (env, h))                                    \
  X(tree_entry, uint32_t, "i", "iI", (fixnet_env * env, uint32_t h, uint64_t i), (env, h, i))              \
  X(blob_u64, uint64_t, "I", "i", (fixnet_env * env, uint32_t h), (env, h))                                \
  X(blob_from_u64, uint32_t, "i", "Ii", (fixnet_env * env, uint64_t v, uint32_t n), (env, v, n))           \
  X(limit_memory, uint64_t, "I", "", (fixnet_env * env), (env))                                            \
  X(limit_fuel, uint64_t, "I", "", (fixnet_env * env), (env))

/* Guest API functions returning a value, always answered by the host. */
#define FIXNET_GUEST_API_VALUE(X)                                                                          \
  X(blob_create, uint32_t, "i", "ii", (fixnet_env * env, uint32_t src, uint32_t len), (env, src, len))     \
  X(tree_create, uint32_t, "i", "ii", (fixnet_env * env, uint32_t src, uint32_t count), (env, src, count)) \
  X(application, uint32_t, "i", "i", (fixnet_env * env, uint32_t h), (env, h))                             \
  X(identification, uint32_t, "i", "i", (fixnet_env * env, uint32_t h), (env, h))                          \
  X(selection, uint32_t, "i", "i", (fixnet_env * env, uint32_t h), (env, h))                               \
  X(strict, uint32_t, "i", "i", (fixnet_env * env, uint32_t h), (env, h))                                  \
  X(shallow, uint32_t, "i", "i", (fixnet_env * env, uint32_t h), (env, h))

/* Guest API functions returning nothing. */
#define FIXNET_GUEST_API_VOID(X)                                                                             \
  X(blob_read, void, "", "iIii",                                                                             \
    (fixnet_env * env, uint32_t h, uint64_t offset, uint32_t dst, uint32_t len), (env, h, offset, dst, len)) \
  X(fail, void, "", "ii", (fixnet_env * env, uint32_t msg, uint32_t len), (env, msg, len))

#define FIXNET_API_POINTER(name, ret, wres, wparams, params, args) ret(*name) params;

typedef struct fixnet_host_api {
  uint32_t abi_version;
  /* Never returns: unwinds to the host's guarded call with `code`. */
  void (*trap)(uint32_t code);
  /* wasm-rt memory and table management, done by the host (limits, pooling, reset). */
  void (*allocate_memory)(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages);
  uint32_t (*grow_memory)(wasm_rt_memory_t* memory, uint32_t delta_pages);
  void (*free_memory)(wasm_rt_memory_t* memory);
  void (*allocate_table)(wasm_rt_funcref_table_t* table, uint32_t elements, uint32_t max_elements);
  void (*free_table)(wasm_rt_funcref_table_t* table);
  FIXNET_GUEST_API_FAST(FIXNET_API_POINTER)
  FIXNET_GUEST_API_VALUE(FIXNET_API_POINTER)
  FIXNET_GUEST_API_VOID(FIXNET_API_POINTER)
  /* Every WASI import of a Flatware program: `call` is its FIXNET_WASI_* index (wasi_abi.h), `args`
   * its arguments zero-extended. Returns the errno; never returns for proc_exit. */
  uint32_t (*wasi)(fixnet_env* env, uint32_t call, const uint64_t* args);
} fixnet_host_api;

/* What a compiled procedure tells the host about itself. */
typedef struct fixnet_module_v1 {
  uint32_t abi_version;
  uint32_t instance_size;   /* bytes of wasm2c's instance struct */
  uint32_t fuel_offset;     /* of the i64 fuel counter inside the instance */
  uint32_t depth_offset;    /* of the u32 call-depth counter inside the instance */
  uint32_t dirty_offset;    /* of the u64 mask of memory chunks written (see src/wasm/instrument.h) */
  uint32_t dirty_shift;     /* log2 of the bytes of one chunk */
  uint32_t max_call_depth;  /* nested wasm calls before the call-stack-exhausted trap */
  uint32_t may_write_table; /* the module has instructions that write its table */
  uint32_t is_program;      /* a Flatware program: `start` is set, `apply` is not */
  void (*instantiate)(void* instance, fixnet_env* env);
  void (*free)(void* instance);
  uint32_t (*apply)(void* instance, uint32_t encode_handle);
  void (*start)(void* instance);
  /* The active data segments, kept out of the C (a large module's data would make the compiler
   * crawl): `segment_count` triples (memory offset, bytes, offset in `data_image`), copied into the
   * memory in order right after instantiation. Bounds were checked when the module was compiled. */
  const uint8_t* data_image;
  const uint64_t* segments;
  uint32_t segment_count;
} fixnet_module_v1;

typedef const fixnet_module_v1* (*fixnet_wasm_bind_fn)(const fixnet_host_api* host);
#define FIXNET_BIND_SYMBOL "fixnet_wasm_bind_v1"

#ifdef __cplusplus
}
#endif

#endif /* FIXNET_ABI_H_ */
