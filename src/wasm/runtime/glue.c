/* Glue compiled into every procedure's shared object, after the C that wasm2c wrote for the module.
 * It provides what wasm2c's output expects from a runtime (wasm_rt_*), by forwarding to the host;
 * the guest API (or WASI) imports, by forwarding to the host with the instance's env; and the binder,
 * the object's only visible symbol. The code generator defines, before wasm2c's output, what inspection
 * found: FIXNET_IMPORTS_FIXNET / FIXNET_IMPORTS_WASI (which module the imports come from, which changes
 * wasm2c's instantiate signature), FIXNET_IS_PROGRAM (a Flatware program: `_start` instead of
 * `_fixnet_apply`), FIXNET_MAY_WRITE_TABLE; what instrumentation chose: FIXNET_DIRTY_SHIFT; and the
 * data segments kept out of the C: fixnet_data_image, fixnet_data_segments, FIXNET_DATA_SEGMENTS. */
#include <stdarg.h>

#include "fixnet_abi.h"
#include "fixnet/guest.h" /* the FIXNET_KIND_* constants */

#define FIXNET_VISIBLE __attribute__((visibility("default")))

static const fixnet_host_api* fixnet_host;

void wasm_rt_trap(wasm_rt_trap_t code) {
  fixnet_host->trap((uint32_t)code);
  __builtin_unreachable();
}

bool wasm_rt_is_initialized(void) { return true; }

/* Function types, for call_indirect checks. Registered once, when the host binds the object (before
 * any instance runs), and only read afterwards: safe to share between threads. */
#define FIXNET_MAX_SIGNATURE 64
typedef struct {
  uint32_t params, results;
  wasm_rt_type_t types[FIXNET_MAX_SIGNATURE];
} fixnet_func_type;
static fixnet_func_type* fixnet_types;
static uint32_t fixnet_type_count, fixnet_type_capacity;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  fixnet_func_type t;
  memset(&t, 0, sizeof t);
  t.params = params;
  t.results = results;
  /* The inspector rejects larger signatures; this is a second fence. */
  if (params + results > FIXNET_MAX_SIGNATURE) wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
  va_list args;
  va_start(args, results);
  for (uint32_t i = 0; i < params + results; ++i) t.types[i] = (wasm_rt_type_t)va_arg(args, int);
  va_end(args);
  for (uint32_t i = 0; i < fixnet_type_count; ++i)
    if (memcmp(&fixnet_types[i], &t, sizeof t) == 0) return i + 1;
  if (fixnet_type_count == fixnet_type_capacity) {
    uint32_t capacity = fixnet_type_capacity ? 2 * fixnet_type_capacity : 16;
    fixnet_func_type* grown = realloc(fixnet_types, capacity * sizeof *grown);
    if (!grown) wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
    fixnet_types = grown;
    fixnet_type_capacity = capacity;
  }
  fixnet_types[fixnet_type_count++] = t;
  return fixnet_type_count;
}

/* The registry lives as long as the object: freed when the host unloads it. */
__attribute__((destructor)) static void fixnet_unload(void) {
  free(fixnet_types);
  fixnet_types = 0;
  fixnet_type_count = fixnet_type_capacity = 0;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t* m, uint32_t initial, uint32_t max) {
  fixnet_host->allocate_memory(m, initial, max);
}
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* m, uint32_t delta) {
  return fixnet_host->grow_memory(m, delta);
}
void wasm_rt_free_memory(wasm_rt_memory_t* m) { fixnet_host->free_memory(m); }
void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t* t, uint32_t n, uint32_t max) {
  fixnet_host->allocate_table(t, n, max);
}
void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t* t) { fixnet_host->free_table(t); }

/* The guest API: each import forwards to the host with the env wasm2c passes along, except for the
 * common cases of the FIXNET_GUEST_API_FAST functions, answered below from the handle table (a Name's
 * layout is docs/format.md's: byte 31 the tag, byte 30 the version and a literal's length, bytes
 * 24..29 the size). Each fast path answers only what cannot fail; anything else (a bad handle, a
 * thunk, a Ref, a Tree not loaded, a full table) goes to the host, which answers or traps. */
#define FIXNET_FORWARD_VALUE(name, ret, wres, wparams, params, args) \
  ret Z_fixnetZ_##name params { return fixnet_host->name args; }

/* The fast paths are a few instructions, fewer than a call's own cost (saving and reloading the guest's
 * registers around it): they are inlined into the module's code that calls them (in the same unit; a
 * split module's parts call them). The host's side stays a call. GCC warns that a function declared
 * without `inline` (wasm2c's declaration) might not be inlinable; it is. */
#pragma GCC diagnostic ignored "-Wattributes"
#define FIXNET_FAST_ENTRY __attribute__((always_inline))

enum {
  FIXNET_TAG_LITERAL = 2u,           /* how (bits 0..1) */
  FIXNET_TAG_TREE = 1u << 2,         /* content */
  FIXNET_TAG_THUNK = 3u << 3,        /* thunk kind */
  FIXNET_TAG_ENCODE = 3u << 5,       /* encode mode */
  FIXNET_TAG_REF = 1u << 7,
  FIXNET_NAME_VERSION_BYTE = 1u << 5 /* byte 30: layout version 1 */
};

static inline uint8_t fixnet_tag(const fixnet_handle_slot* s) { return s->name[31]; }

static inline uint64_t fixnet_name_size(const uint8_t* name) {
  if ((name[31] & 3u) == FIXNET_TAG_LITERAL) return name[30] & 0x1fu;
  uint64_t size = 0;
  memcpy(&size, name + 24, 6); /* 48-bit little-endian; fixnet's hosts are little-endian */
  return size;
}

/* Appends a handle, or returns UINT32_MAX when only the host may (the table is full). */
static inline uint32_t fixnet_push(fixnet_env* env, const uint8_t* name) {
  if (env->count >= env->capacity) return UINT32_MAX;
  fixnet_handle_slot* s = &env->slots[env->count];
  memcpy(s->name, name, 32);
  s->entries = 0;
  return env->count++;
}

FIXNET_FAST_ENTRY uint32_t Z_fixnetZ_kind(fixnet_env* env, uint32_t h) {
  if (h < env->count) {
    const uint8_t tag = fixnet_tag(&env->slots[h]);
    const uint32_t roles = tag & (FIXNET_TAG_THUNK | FIXNET_TAG_ENCODE);
    if (tag & FIXNET_TAG_REF) {
      if (!roles) return (tag & FIXNET_TAG_TREE) ? FIXNET_KIND_TREE_REF : FIXNET_KIND_BLOB_REF;
    } else if (tag & FIXNET_TAG_ENCODE) {
      return ((tag >> 5) & 3u) == 1 ? FIXNET_KIND_STRICT : FIXNET_KIND_SHALLOW;
    } else if (tag & FIXNET_TAG_THUNK) {
      return FIXNET_KIND_APPLICATION - 1 + ((tag >> 3) & 3u);
    } else {
      return (tag & FIXNET_TAG_TREE) ? FIXNET_KIND_TREE : FIXNET_KIND_BLOB;
    }
  }
  return fixnet_host->kind(env, h);
}

FIXNET_FAST_ENTRY uint64_t Z_fixnetZ_size(fixnet_env* env, uint32_t h) {
  if (h < env->count && !(fixnet_tag(&env->slots[h]) & FIXNET_TAG_THUNK))
    return fixnet_name_size(env->slots[h].name);
  return fixnet_host->size(env, h);
}

FIXNET_FAST_ENTRY uint32_t Z_fixnetZ_tree_entry(fixnet_env* env, uint32_t h, uint64_t i) {
  if (h < env->count) {
    const fixnet_handle_slot* s = &env->slots[h];
    if (s->entries && i < fixnet_name_size(s->name)) {
      const uint32_t handle = fixnet_push(env, s->entries + 32 * i);
      if (handle != UINT32_MAX) return handle;
    }
  }
  return fixnet_host->tree_entry(env, h, i);
}

FIXNET_FAST_ENTRY uint64_t Z_fixnetZ_blob_u64(fixnet_env* env, uint32_t h) {
  /* An accessible literal Blob (no roles, not a Ref) of at most 8 bytes: its bytes are in the Name,
   * zero padded, so the little-endian word at byte 0 is the value. */
  if (h < env->count) {
    const uint8_t* name = env->slots[h].name;
    if (name[31] == FIXNET_TAG_LITERAL && (name[30] & 0x1fu) <= 8) {
      uint64_t v;
      memcpy(&v, name, 8);
      return v;
    }
  }
  return fixnet_host->blob_u64(env, h);
}

FIXNET_FAST_ENTRY uint32_t Z_fixnetZ_blob_from_u64(fixnet_env* env, uint64_t v, uint32_t n) {
  if (n <= 8) {
    uint8_t name[32] = {0};
    for (uint32_t i = 0; i < n; ++i) name[i] = (uint8_t)(v >> (8 * i));
    name[30] = (uint8_t)(FIXNET_NAME_VERSION_BYTE | n);
    name[31] = FIXNET_TAG_LITERAL;
    const uint32_t handle = fixnet_push(env, name);
    if (handle != UINT32_MAX) return handle;
  }
  return fixnet_host->blob_from_u64(env, v, n);
}

FIXNET_FAST_ENTRY uint64_t Z_fixnetZ_limit_memory(fixnet_env* env) { return env->limit_memory; }
FIXNET_FAST_ENTRY uint64_t Z_fixnetZ_limit_fuel(fixnet_env* env) { return env->limit_fuel; }

#define FIXNET_FORWARD_VOID(name, ret, wres, wparams, params, args) \
  void Z_fixnetZ_##name params { fixnet_host->name args; }
FIXNET_GUEST_API_VALUE(FIXNET_FORWARD_VALUE)
FIXNET_GUEST_API_VOID(FIXNET_FORWARD_VOID)

#if FIXNET_IS_PROGRAM
/* WASI: each import forwards to the host's one `wasi` function with its index and arguments. */
#define FIXNET_UNPAREN(...) __VA_ARGS__
#define FIXNET_WASI_RETURN_uint32_t(x) return x
#define FIXNET_WASI_RETURN_void(x) x
#define FIXNET_FORWARD_WASI(name, ret, wres, wparams, params, args)                  \
  ret Z_wasi_snapshot_preview1Z_##name params {                                      \
    const uint64_t fixnet_args[] = {FIXNET_UNPAREN args};                           \
    FIXNET_WASI_RETURN_##ret(fixnet_host->wasi((fixnet_env*)e, FIXNET_WASI_##name, fixnet_args)); \
  }
FIXNET_WASI_CALLS(FIXNET_FORWARD_WASI)
#endif

static void fixnet_instantiate(void* instance, fixnet_env* env) {
#if FIXNET_IMPORTS_FIXNET
  Z_m_instantiate((Z_m_instance_t*)instance, (struct Z_fixnet_instance_t*)env);
#elif FIXNET_IMPORTS_WASI
  Z_m_instantiate((Z_m_instance_t*)instance, (struct Z_wasi_snapshot_preview1_instance_t*)env);
#else
  (void)env;
  Z_m_instantiate((Z_m_instance_t*)instance);
#endif
}

static void fixnet_free(void* instance) { Z_m_free((Z_m_instance_t*)instance); }

#if FIXNET_IS_PROGRAM
static void fixnet_start(void* instance) { Z_mZ__start((Z_m_instance_t*)instance); }
#else
static uint32_t fixnet_apply(void* instance, uint32_t encode) {
  return Z_mZ__fixnet_apply((Z_m_instance_t*)instance, encode);
}
#endif

static Z_m_instance_t fixnet_probe;
static fixnet_module_v1 fixnet_module;

FIXNET_VISIBLE const fixnet_module_v1* fixnet_wasm_bind_v1(const fixnet_host_api* host) {
  if (host->abi_version != FIXNET_ABI_VERSION) return 0;
  if (!fixnet_host) {
    fixnet_host = host;
    Z_m_init_module();
  }
  fixnet_module.abi_version = FIXNET_ABI_VERSION;
  fixnet_module.instance_size = (uint32_t)sizeof(Z_m_instance_t);
  fixnet_module.fuel_offset = (uint32_t)((char*)Z_mZ___fixnet_fuel(&fixnet_probe) - (char*)&fixnet_probe);
  fixnet_module.depth_offset = (uint32_t)((char*)Z_mZ___fixnet_depth(&fixnet_probe) - (char*)&fixnet_probe);
  fixnet_module.dirty_offset = (uint32_t)((char*)Z_mZ___fixnet_dirty(&fixnet_probe) - (char*)&fixnet_probe);
  fixnet_module.dirty_shift = FIXNET_DIRTY_SHIFT;
  fixnet_module.max_call_depth = WASM_RT_MAX_CALL_STACK_DEPTH;
  fixnet_module.may_write_table = FIXNET_MAY_WRITE_TABLE;
  fixnet_module.instantiate = fixnet_instantiate;
  fixnet_module.free = fixnet_free;
  fixnet_module.is_program = FIXNET_IS_PROGRAM;
#if FIXNET_IS_PROGRAM
  fixnet_module.start = fixnet_start;
#else
  fixnet_module.apply = fixnet_apply;
#endif
  fixnet_module.data_image = fixnet_data_image;
  fixnet_module.segments = &fixnet_data_segments[0][0];
  fixnet_module.segment_count = FIXNET_DATA_SEGMENTS;
  return &fixnet_module;
}
