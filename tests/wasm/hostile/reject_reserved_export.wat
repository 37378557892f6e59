;; expect: exports "__fixnet_fuel": names under "__fixnet_" are reserved
(module
  (global (export "__fixnet_fuel") (mut i64) (i64.const 0))
  (func (export "_fixnet_apply") (param i32) (result i32) (local.get 0)))
