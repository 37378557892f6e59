# fixnet_add_rpc_schema(TARGET FILE.proto [IMPORT_DIRS DIR…]): runs protoc with protoc-gen-fixnet on
# FILE.proto and gives TARGET the generated FILE.fixnet.h (its include directory, and fixnet_rpc to
# link). The header has the message views, client stubs and server skeletons (docs/rpc.md,
# "Generated API"). A file FILE.proto imports needs its own fixnet_add_rpc_schema() call.
function(fixnet_add_rpc_schema target proto)
  cmake_parse_arguments(ARG "" "" "IMPORT_DIRS" ${ARGN})
  get_filename_component(abs ${proto} ABSOLUTE)
  get_filename_component(dir ${abs} DIRECTORY)
  get_filename_component(stem ${abs} NAME_WE)
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/fixnet_rpc_schemas)
  set(header ${out_dir}/${stem}.fixnet.h)
  set(import_flags -I${dir})
  foreach(import_dir ${ARG_IMPORT_DIRS})
    list(APPEND import_flags -I${import_dir})
  endforeach()
  add_custom_command(
    OUTPUT ${header}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
    COMMAND protobuf::protoc --plugin=protoc-gen-fixnet=$<TARGET_FILE:protoc-gen-fixnet> --fixnet_out=${out_dir}
            ${import_flags} ${abs}
    DEPENDS ${abs} protoc-gen-fixnet
    COMMENT "protoc-gen-fixnet ${stem}.proto"
    VERBATIM)
  target_sources(${target} PRIVATE ${header})
  target_include_directories(${target} PRIVATE ${out_dir})
  target_link_libraries(${target} PRIVATE fixnet_rpc)
endfunction()
