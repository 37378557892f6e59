# fixnet_add_wasi_program(<name> SOURCES <file.c>... [OUTPUT_DIR <dir>])
#
# Builds <name>.wasm, a Flatware program (docs/flatware.md): C compiled for wasm32-wasi with Debian's
# stock clang, wasi-libc (package wasi-libc) and compiler-rt's wasm32 builtins (package
# libclang-rt-14-dev-wasm32). The target is <name>_wasi_program; its FIXNET_WASI_PROGRAM property holds
# the path of the .wasm. The module imports only from wasi_snapshot_preview1 and exports _start and
# memory.
include(${CMAKE_CURRENT_LIST_DIR}/FixnetWasm.cmake)

# Debian's wasi-libc puts its headers in /usr/include/wasm32-wasi and its libraries in
# /usr/lib/wasm32-wasi: the sysroot is /usr.
set(FIXNET_WASI_SYSROOT /usr CACHE PATH "The wasi-libc sysroot (holds include/wasm32-wasi and lib/wasm32-wasi)")
if(NOT EXISTS ${FIXNET_WASI_SYSROOT}/lib/wasm32-wasi/libc.a OR
   NOT EXISTS ${FIXNET_WASI_SYSROOT}/include/wasm32-wasi/stdio.h)
  message(FATAL_ERROR
    "wasi-libc not found in ${FIXNET_WASI_SYSROOT} (no lib/wasm32-wasi/libc.a or include/wasm32-wasi/stdio.h): "
    "install the Debian package wasi-libc (scripts/setup does), or set FIXNET_WASI_SYSROOT")
endif()

# compiler-rt's builtins for wasm32 (128-bit arithmetic, long double for printf): required here, since
# wasi-libc's printf calls them.
if(NOT FIXNET_WASM_BUILTINS)
  message(FATAL_ERROR
    "compiler-rt builtins for wasm32 not found (/usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a): "
    "install the Debian package libclang-rt-14-dev-wasm32 (scripts/setup does)")
endif()
list(GET FIXNET_WASM_BUILTINS 0 FIXNET_WASI_BUILTINS_LIBRARY)

function(fixnet_add_wasi_program name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIR" "SOURCES" ${ARGN})
  fixnet_wasm_inputs(fixnet_add_wasi_program ${name} "${ARG_OUTPUT_DIR}" ${ARG_SOURCES})
  set(depends)
  # Headers beside the sources (a program's own helpers) are dependencies too.
  foreach(source ${sources})
    get_filename_component(dir ${source} DIRECTORY)
    file(GLOB headers ${dir}/*.h)
    list(APPEND depends ${headers})
  endforeach()
  list(REMOVE_DUPLICATES depends)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${output_dir}
    COMMAND ${FIXNET_WASM_CLANG} --target=wasm32-wasi --sysroot=${FIXNET_WASI_SYSROOT} -O2
            -Wall -Wextra -Werror -Wl,--strip-debug
            -o ${output} ${sources} ${FIXNET_WASI_BUILTINS_LIBRARY}
    DEPENDS ${sources} ${depends}
    COMMENT "Building Flatware program ${name}.wasm"
    VERBATIM)
  add_custom_target(${name}_wasi_program ALL DEPENDS ${output})
  set_target_properties(${name}_wasi_program PROPERTIES FIXNET_WASI_PROGRAM ${output})
endfunction()
