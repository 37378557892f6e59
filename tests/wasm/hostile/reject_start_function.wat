;; expect: has a start function
(module
  (func $init)
  (start $init)
  (func (export "_fixnet_apply") (param i32) (result i32) (local.get 0)))
