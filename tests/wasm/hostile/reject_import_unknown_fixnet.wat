;; expect: imports "fixnet" "time", which is not in the guest API
(module
  (import "fixnet" "time" (func (result i64)))
  (func (export "_fixnet_apply") (param i32) (result i32) (local.get 0)))
