;; expect: as a global: the guest API has only functions
(module
  (import "fixnet" "seed" (global i64))
  (func (export "_fixnet_apply") (param i32) (result i32) (local.get 0)))
