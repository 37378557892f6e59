# fixnet_add_procedure(<name> SOURCES <file.c>... [INCLUDE_DIRECTORIES <dir>...] [OUTPUT_DIR <dir>])
#
# Builds <name>.wasm, a fixnet procedure, from C with Debian's stock clang for wasm32 and no libc
# (docs/guest-api.md). The target is <name>_procedure; its FIXNET_PROCEDURE property holds the path of
# the .wasm. Procedures see include/fixnet/guest.h; bulk-memory instructions are enabled so that
# clang turns memcpy/memset into memory.copy/memory.fill instead of calls to a libc that is not there.
find_program(FIXNET_WASM_CLANG NAMES clang-14 clang REQUIRED)
set(FIXNET_GUEST_INCLUDE_DIR ${CMAKE_CURRENT_LIST_DIR}/../include CACHE PATH "Where fixnet/guest.h is")
# compiler-rt's builtins for wasm32 (128-bit arithmetic and the like), when installed.
file(GLOB FIXNET_WASM_BUILTINS /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a)

function(fixnet_add_procedure name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIR" "SOURCES;INCLUDE_DIRECTORIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "fixnet_add_procedure(${name}): SOURCES is required")
  endif()
  if(NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  set(output ${ARG_OUTPUT_DIR}/${name}.wasm)
  set(sources)
  foreach(source ${ARG_SOURCES})
    get_filename_component(source ${source} ABSOLUTE)
    list(APPEND sources ${source})
  endforeach()
  set(includes -I${FIXNET_GUEST_INCLUDE_DIR})
  foreach(dir ${ARG_INCLUDE_DIRECTORIES})
    list(APPEND includes -I${dir})
  endforeach()
  list(GET FIXNET_WASM_BUILTINS 0 builtins)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${FIXNET_WASM_CLANG} --target=wasm32 -O2 -ffreestanding -nostdlib -mbulk-memory
            -Wall -Wextra -Werror ${includes} -Wl,--no-entry -Wl,--strip-debug
            -o ${output} ${sources} ${builtins}
    DEPENDS ${sources} ${FIXNET_GUEST_INCLUDE_DIR}/fixnet/guest.h
    COMMENT "Building fixnet procedure ${name}.wasm"
    VERBATIM)
  add_custom_target(${name}_procedure ALL DEPENDS ${output})
  set_target_properties(${name}_procedure PROPERTIES FIXNET_PROCEDURE ${output})
endfunction()
