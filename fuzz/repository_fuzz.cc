// Fuzzes what the repository reads from disk (src/core/repository.h): a damaged relation segment,
// label file or Tree object file. The first input byte picks the file, the rest is its content.
// Contract checked: opening the repository and reading through it (relations, labels, resolve, the
// Tree, fsck) either works or throws fixnet::Error, never anything else, never crashes; fsck names
// the damaged file.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/repository.h"

namespace fs = std::filesystem;
using fixnet::Name;
using fixnet::Repository;

namespace {

struct Fixture {
  fs::path root, fixnet_dir;
  Name tree;
  Fixture() {
    std::string pattern = (fs::temp_directory_path() / "fixnet-repository-fuzz-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) std::abort();
    root = pattern;
    fixnet_dir = root / ".fixnet";
    auto repo = Repository::init(root);
    const Name blob = repo->put_blob(std::string(100, 'b'));
    tree = repo->put_tree({blob, Name::blob_name("x")});
    repo->put(fixnet::Relation::Think, tree.application(), blob);
    repo->set_label("kept", tree);
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

void write_file(const fs::path& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) std::abort();
  if (::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) std::abort();
  ::close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fixture;
  if (size == 0) return 0;
  const std::string_view content(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string hex = fixture.tree.hex();
  fs::path damaged;
  switch (data[0] % 3) {
    case 0:
      damaged = fixture.fixnet_dir / "relations" / "fuzz.seg";
      break;
    case 1:
      damaged = fixture.fixnet_dir / "labels" / "fuzz";
      break;
    default:
      damaged = fixture.fixnet_dir / "objects" / hex.substr(0, 2) / hex.substr(2);
      break;
  }
  std::error_code ec;
  const fs::path saved = damaged.string() + ".saved";
  const bool existed = fs::exists(damaged);
  if (existed) fs::rename(damaged, saved);
  write_file(damaged, content);

  try {
    auto repo = Repository::open(fixture.fixnet_dir);
    repo->for_each([](fixnet::Relation, Name, Name) {});
    try {
      for (const auto& [label, name] : repo->labels()) (void)repo->resolve(label);
    } catch (const fixnet::Error&) {
    }
    try {
      (void)repo->get_tree(fixture.tree);
    } catch (const fixnet::Error&) {
    }
    (void)repo->fsck();
  } catch (const fixnet::Error&) {
  }

  fs::remove(damaged, ec);
  if (existed) fs::rename(saved, damaged);
  return 0;
}
