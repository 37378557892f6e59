;; expect: "_fixnet_apply" must take one i32
(module
  (func (export "_fixnet_apply") (param i64) (result i32) (i32.const 0)))
