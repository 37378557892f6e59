# Debian's libgrpc++ (PkgConfig::FIXNET_GRPCPP: fixnet_rpc's gRPC interop, and gRPC programs), and
# fixnet_grpc_code(OUT PROTO_DIR NAME…): protoc's C++ and gRPC code (Debian's protobuf-compiler and
# grpc_cpp_plugin) for PROTO_DIR/NAME.proto, into the current binary directory; OUT gets the generated
# files. For the gRPC programs fixnet is compared with or tested against (bench rpc, the interop tests).
find_package(PkgConfig REQUIRED)
pkg_check_modules(FIXNET_GRPCPP REQUIRED IMPORTED_TARGET grpc++ protobuf)
find_program(PROTOC protoc REQUIRED)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

function(fixnet_grpc_code out proto_dir)
  set(files)
  foreach(name ${ARGN})
    set(generated ${CMAKE_CURRENT_BINARY_DIR}/${name}.pb.cc ${CMAKE_CURRENT_BINARY_DIR}/${name}.pb.h
                  ${CMAKE_CURRENT_BINARY_DIR}/${name}.grpc.pb.cc ${CMAKE_CURRENT_BINARY_DIR}/${name}.grpc.pb.h)
    add_custom_command(
      OUTPUT ${generated}
      COMMAND ${PROTOC} -I ${proto_dir} --cpp_out=${CMAKE_CURRENT_BINARY_DIR} --grpc_out=${CMAKE_CURRENT_BINARY_DIR}
              --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN} ${proto_dir}/${name}.proto
      DEPENDS ${proto_dir}/${name}.proto
      COMMENT "Generating the gRPC code of ${name}.proto"
      VERBATIM)
    list(APPEND files ${generated})
  endforeach()
  set(${out} ${files} PARENT_SCOPE)
endfunction()
