;; expect: exports no "_fixnet_apply" function
(module
  (func (export "main") (param i32) (result i32) (local.get 0)))
