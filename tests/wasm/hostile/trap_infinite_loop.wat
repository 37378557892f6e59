;; expect: fuel exhausted
(module
  (func (export "_fixnet_apply") (param i32) (result i32) (loop $l (br $l)) (local.get 0)))
