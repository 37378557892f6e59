;; expect: invalid procedure module
(module
  (memory 1) (memory 1)
  (func (export "_fixnet_apply") (param i32) (result i32) (local.get 0)))
