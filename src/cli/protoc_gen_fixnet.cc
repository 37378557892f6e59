// protoc-gen-fixnet: the protoc plugin that generates an application's stubs for a fixnet RPC schema
// (docs/rpc.md, "Generated API"):
//   protoc --plugin=protoc-gen-fixnet=PATH --fixnet_out=DIR -I DIR FILE.proto   →  DIR/FILE.fixnet.h
// CMake projects use fixnet_add_rpc_schema() (cmake/FixnetRpcSchema.cmake) instead.
#include <google/protobuf/compiler/code_generator.h>
#include <google/protobuf/compiler/plugin.h>
#include <google/protobuf/io/zero_copy_stream.h>

#include <memory>

#include "core/error.h"
#include "rpc/stub_generator.h"

namespace {

namespace pb = google::protobuf;

class FixnetGenerator : public pb::compiler::CodeGenerator {
 public:
  bool Generate(const pb::FileDescriptor* file, const std::string&, pb::compiler::GeneratorContext* context,
                std::string* error) const override {
    try {
      auto schema = fixnet::rpc::Schema::from_file(file);
      const std::string text = fixnet::rpc::generate_stubs(*schema);
      std::unique_ptr<pb::io::ZeroCopyOutputStream> out(context->Open(fixnet::rpc::stub_header_name(file->name())));
      void* data;
      int size;
      size_t written = 0;
      while (written < text.size() && out->Next(&data, &size)) {
        const size_t n = std::min(text.size() - written, static_cast<size_t>(size));
        std::memcpy(data, text.data() + written, n);
        written += n;
        if (n < static_cast<size_t>(size)) out->BackUp(size - static_cast<int>(n));
      }
      return true;
    } catch (const fixnet::Error& e) {
      *error = e.what();
      return false;
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  FixnetGenerator generator;
  return pb::compiler::PluginMain(argc, argv, &generator);
}
