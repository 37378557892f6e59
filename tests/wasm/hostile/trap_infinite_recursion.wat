;; expect: call stack exhausted
(module
  (func $f (call $f))
  (func (export "_fixnet_apply") (param i32) (result i32) (call $f) (local.get 0)))
