;; expect: handle 12345 is not valid
(module
  (import "fixnet" "kind" (func $kind (param i32) (result i32)))
  (func (export "_fixnet_apply") (param i32) (result i32) (drop (call $kind (i32.const 12345))) (local.get 0)))
