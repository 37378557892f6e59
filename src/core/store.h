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
};

}  // namespace fixnet
