;; expect: invalid procedure module
(module
  (func (export "_fixnet_apply") (param i32) (result i32) (i64.const 0)))
