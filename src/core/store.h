// ObjectStore: the one get/put/contains interface for every place objects live — memory, the on-disk
// repository, later a remote peer. Stores hold Blobs and Trees only; a thunk or an encode is a role
// of its content's Name, so asking for one returns its content (a Tree, or an Identification's value).
//
// Literal Blobs live inside their Name and are never stored; every store answers them.
// Implementations are safe for concurrent use by many threads.
#pragma once

#include <algorithm>
#include <span>
#include <string_view>
#include <vector>

#include "core/name.h"
#include "core/object.h"

namespace fixnet {

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Store content and return its Name (literal for ≤ 30-byte blobs, canonical otherwise).
  virtual Name put_blob(std::string_view bytes) = 0;
  virtual Name put_tree(std::vector<Name> entries) = 0;

  // The content of `name` (any role: the content Name is used). Throws NotFoundError when this store
  // does not hold it, InputError when asked for a Blob that is a Tree or the other way round.
  virtual BlobData get_blob(Name name) = 0;
  virtual TreeData get_tree(Name name) = 0;

  virtual bool contains(Name name) = 0;

  // Copies the entries of the Tree `name` into `out` if it has at most out.size() of them, and
  // returns how many it has (copying nothing if more). Keeps no reference to the content, so a store
  // can answer without touching a reference count (the evaluator's path to an encode tree).
  // Throws as get_tree does.
  virtual size_t copy_tree(const Name& name, std::span<Name> out) {
    TreeData entries = get_tree(name);
    if (entries->size() <= out.size()) std::copy(entries->begin(), entries->end(), out.begin());
    return entries->size();
  }
};

}  // namespace fixnet
