;; expect: declares a table of 2000000 elements; at most 1048576 are allowed
(module
  (table 2000000 funcref)
  (func (export "_fixnet_apply") (param i32) (result i32) (local.get 0)))
