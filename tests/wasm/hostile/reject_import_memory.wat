;; expect: imports "fixnet" "memory" as a memory: the guest API has only functions
(module
  (import "fixnet" "memory" (memory 1))
  (func (export "_fixnet_apply") (param i32) (result i32) (local.get 0)))
