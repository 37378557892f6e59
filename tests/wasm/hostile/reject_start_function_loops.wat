;; expect: has a start function
(module
  (func $spin (loop $l (br $l)))
  (start $spin)
  (func (export "_fixnet_apply") (param i32) (result i32) (local.get 0)))
