/* WASI preview 1 (module "wasi_snapshot_preview1"): the functions a Flatware program may import, listed
 * once as X-macros and compiled into both sides, like fixnet_abi.h (and part of the toolchain version).
 *
 * X(name, C result type, wasm results, wasm params, C params, argument list)
 * Wasm types are letters: i = i32, I = i64. Every function but proc_exit returns a WASI errno (i32).
 * The glue forwards each import to the host's one `wasi` function with the call's index and its
 * arguments zero-extended to u64, in order; the argument list (parenthesized) always has at least one
 * element so the array is never empty (sched_yield passes a dummy 0). */
#ifndef FIXNET_WASI_ABI_H_
#define FIXNET_WASI_ABI_H_

#include <stdint.h>

#define FIXNET_WASI_MODULE "wasi_snapshot_preview1"

typedef struct Z_wasi_snapshot_preview1_instance_t fixnet_wasi_env;

#define FIXNET_WASI_CALLS(X)                                                                                 \
  X(args_get, uint32_t, "i", "ii", (fixnet_wasi_env * e, uint32_t a, uint32_t b), (a, b))                    \
  X(args_sizes_get, uint32_t, "i", "ii", (fixnet_wasi_env * e, uint32_t a, uint32_t b), (a, b))              \
  X(environ_get, uint32_t, "i", "ii", (fixnet_wasi_env * e, uint32_t a, uint32_t b), (a, b))                 \
  X(environ_sizes_get, uint32_t, "i", "ii", (fixnet_wasi_env * e, uint32_t a, uint32_t b), (a, b))           \
  X(clock_res_get, uint32_t, "i", "ii", (fixnet_wasi_env * e, uint32_t a, uint32_t b), (a, b))               \
  X(clock_time_get, uint32_t, "i", "iIi", (fixnet_wasi_env * e, uint32_t a, uint64_t b, uint32_t c),         \
    (a, b, c))                                                                                               \
  X(fd_advise, uint32_t, "i", "iIIi", (fixnet_wasi_env * e, uint32_t a, uint64_t b, uint64_t c, uint32_t d), \
    (a, b, c, d))                                                                                            \
  X(fd_allocate, uint32_t, "i", "iII", (fixnet_wasi_env * e, uint32_t a, uint64_t b, uint64_t c), (a, b, c)) \
  X(fd_close, uint32_t, "i", "i", (fixnet_wasi_env * e, uint32_t a), (a))                                    \
  X(fd_datasync, uint32_t, "i", "i", (fixnet_wasi_env * e, uint32_t a), (a))                                 \
  X(fd_fdstat_get, uint32_t, "i", "ii", (fixnet_wasi_env * e, uint32_t a, uint32_t b), (a, b))               \
  X(fd_fdstat_set_flags, uint32_t, "i", "ii", (fixnet_wasi_env * e, uint32_t a, uint32_t b), (a, b))         \
  X(fd_fdstat_set_rights, uint32_t, "i", "iII", (fixnet_wasi_env * e, uint32_t a, uint64_t b, uint64_t c),   \
    (a, b, c))                                                                                               \
  X(fd_filestat_get, uint32_t, "i", "ii", (fixnet_wasi_env * e, uint32_t a, uint32_t b), (a, b))             \
  X(fd_filestat_set_size, uint32_t, "i", "iI", (fixnet_wasi_env * e, uint32_t a, uint64_t b), (a, b))        \
  X(fd_filestat_set_times, uint32_t, "i", "iIIi",                                                            \
    (fixnet_wasi_env * e, uint32_t a, uint64_t b, uint64_t c, uint32_t d), (a, b, c, d))                     \
  X(fd_pread, uint32_t, "i", "iiiIi",                                                                        \
    (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c, uint64_t d, uint32_t f), (a, b, c, d, f))      \
  X(fd_prestat_get, uint32_t, "i", "ii", (fixnet_wasi_env * e, uint32_t a, uint32_t b), (a, b))              \
  X(fd_prestat_dir_name, uint32_t, "i", "iii", (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c),    \
    (a, b, c))                                                                                               \
  X(fd_pwrite, uint32_t, "i", "iiiIi",                                                                       \
    (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c, uint64_t d, uint32_t f), (a, b, c, d, f))      \
  X(fd_read, uint32_t, "i", "iiii", (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c, uint32_t d),   \
    (a, b, c, d))                                                                                            \
  X(fd_readdir, uint32_t, "i", "iiiIi",                                                                      \
    (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c, uint64_t d, uint32_t f), (a, b, c, d, f))      \
  X(fd_renumber, uint32_t, "i", "ii", (fixnet_wasi_env * e, uint32_t a, uint32_t b), (a, b))                 \
  X(fd_seek, uint32_t, "i", "iIii", (fixnet_wasi_env * e, uint32_t a, uint64_t b, uint32_t c, uint32_t d),   \
    (a, b, c, d))                                                                                            \
  X(fd_sync, uint32_t, "i", "i", (fixnet_wasi_env * e, uint32_t a), (a))                                     \
  X(fd_tell, uint32_t, "i", "ii", (fixnet_wasi_env * e, uint32_t a, uint32_t b), (a, b))                     \
  X(fd_write, uint32_t, "i", "iiii", (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c, uint32_t d),  \
    (a, b, c, d))                                                                                            \
  X(path_create_directory, uint32_t, "i", "iii", (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c),  \
    (a, b, c))                                                                                               \
  X(path_filestat_get, uint32_t, "i", "iiiii",                                                               \
    (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t f), (a, b, c, d, f))      \
  X(path_filestat_set_times, uint32_t, "i", "iiiiIIi",                                                       \
    (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint64_t f, uint64_t g,            \
     uint32_t h),                                                                                            \
    (a, b, c, d, f, g, h))                                                                                   \
  X(path_link, uint32_t, "i", "iiiiiii",                                                                     \
    (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t f, uint32_t g,            \
     uint32_t h),                                                                                            \
    (a, b, c, d, f, g, h))                                                                                   \
  X(path_open, uint32_t, "i", "iiiiiIIii",                                                                   \
    (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t f, uint64_t g,            \
     uint64_t h, uint32_t j, uint32_t k),                                                                    \
    (a, b, c, d, f, g, h, j, k))                                                                             \
  X(path_readlink, uint32_t, "i", "iiiiii",                                                                  \
    (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t f, uint32_t g),           \
    (a, b, c, d, f, g))                                                                                      \
  X(path_remove_directory, uint32_t, "i", "iii", (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c),  \
    (a, b, c))                                                                                               \
  X(path_rename, uint32_t, "i", "iiiiii",                                                                    \
    (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t f, uint32_t g),           \
    (a, b, c, d, f, g))                                                                                      \
  X(path_symlink, uint32_t, "i", "iiiii",                                                                    \
    (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t f), (a, b, c, d, f))      \
  X(path_unlink_file, uint32_t, "i", "iii", (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c),       \
    (a, b, c))                                                                                               \
  X(poll_oneoff, uint32_t, "i", "iiii", (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c, uint32_t d), \
    (a, b, c, d))                                                                                            \
  X(proc_exit, void, "", "i", (fixnet_wasi_env * e, uint32_t a), (a))                                        \
  X(proc_raise, uint32_t, "i", "i", (fixnet_wasi_env * e, uint32_t a), (a))                                  \
  X(sched_yield, uint32_t, "i", "", (fixnet_wasi_env * e), (0))                                              \
  X(random_get, uint32_t, "i", "ii", (fixnet_wasi_env * e, uint32_t a, uint32_t b), (a, b))                  \
  X(sock_accept, uint32_t, "i", "iii", (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c), (a, b, c)) \
  X(sock_recv, uint32_t, "i", "iiiiii",                                                                      \
    (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t f, uint32_t g),           \
    (a, b, c, d, f, g))                                                                                      \
  X(sock_send, uint32_t, "i", "iiiii",                                                                       \
    (fixnet_wasi_env * e, uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t f), (a, b, c, d, f))      \
  X(sock_shutdown, uint32_t, "i", "ii", (fixnet_wasi_env * e, uint32_t a, uint32_t b), (a, b))

/* Indices of the calls, as the host's `wasi` function receives them. */
#define FIXNET_WASI_INDEX(name, ret, wres, wparams, params, args) FIXNET_WASI_##name,
enum { FIXNET_WASI_CALLS(FIXNET_WASI_INDEX) FIXNET_WASI_COUNT };
#undef FIXNET_WASI_INDEX

#endif /* FIXNET_WASI_ABI_H_ */
