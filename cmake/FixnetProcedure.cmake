# fixnet_add_procedure(<name> SOURCES <file.c>... [INCLUDE_DIRECTORIES <dir>...] [OUTPUT_DIR <dir>])
#
# Builds <name>.wasm, a fixnet procedure, from C with Debian's stock clang for wasm32 and no libc
# (docs/guest-api.md). The target is <name>_procedure; its FIXNET_PROCEDURE property holds the path of
# the .wasm. Procedures see include/fixnet/guest.h; bulk-memory instructions are enabled so that
# clang turns memcpy/memset into memory.copy/memory.fill instead of calls to a libc that is not there.
include(${CMAKE_CURRENT_LIST_DIR}/FixnetWasm.cmake)
set(FIXNET_GUEST_INCLUDE_DIR ${CMAKE_CURRENT_LIST_DIR}/../include CACHE PATH "Where fixnet/guest.h is")

function(fixnet_add_procedure name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIR" "SOURCES;INCLUDE_DIRECTORIES" ${ARGN})
  fixnet_wasm_inputs(fixnet_add_procedure ${name} "${ARG_OUTPUT_DIR}" ${ARG_SOURCES})
  set(includes -I${FIXNET_GUEST_INCLUDE_DIR})
  foreach(dir ${ARG_INCLUDE_DIRECTORIES})
    list(APPEND includes -I${dir})
  endforeach()
  # compiler-rt's builtins (128-bit arithmetic and the like), when installed.
  set(builtins)
  if(FIXNET_WASM_BUILTINS)
    list(GET FIXNET_WASM_BUILTINS 0 builtins)
  endif()
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
