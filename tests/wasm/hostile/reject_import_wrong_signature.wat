;; expect: imports "fixnet" "tree_entry" with params "ii" results "i"; the guest API has params "iI"
(module
  (import "fixnet" "tree_entry" (func (param i32 i32) (result i32)))
  (func (export "_fixnet_apply") (param i32) (result i32) (local.get 0)))
