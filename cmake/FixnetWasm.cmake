# What fixnet_add_procedure (FixnetProcedure.cmake) and fixnet_add_wasi_program (FixnetWasiProgram.cmake)
# share: Debian's clang for wasm32, compiler-rt's wasm32 builtins (FIXNET_WASM_BUILTINS, empty when the
# package is missing), and the checks and paths of a module's inputs.

find_program(FIXNET_WASM_CLANG NAMES clang-14 clang REQUIRED)
file(GLOB FIXNET_WASM_BUILTINS /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a)
list(SORT FIXNET_WASM_BUILTINS)  # the first is the one used, whatever the directory order

# fixnet_wasm_inputs(<caller> <name> "<OUTPUT_DIR or empty>" <source>...): fails unless a source is
# given; sets `output_dir` (default: the current binary directory), `output` (<output_dir>/<name>.wasm)
# and `sources` (absolute paths) in the caller's scope.
function(fixnet_wasm_inputs caller name dir)
  if(NOT ARGN)
    message(FATAL_ERROR "${caller}(${name}): SOURCES is required")
  endif()
  if(NOT dir)
    set(dir ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  set(absolute)
  foreach(source ${ARGN})
    get_filename_component(source ${source} ABSOLUTE)
    list(APPEND absolute ${source})
  endforeach()
  set(output_dir ${dir} PARENT_SCOPE)
  set(output ${dir}/${name}.wasm PARENT_SCOPE)
  set(sources ${absolute} PARENT_SCOPE)
endfunction()
