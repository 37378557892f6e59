;; expect: out-of-bounds memory or table access
(module
  (memory 1)
  (func (export "_fixnet_apply") (param i32) (result i32)
    (i64.store (i32.const -4) (i64.const 1)) (local.get 0)))
