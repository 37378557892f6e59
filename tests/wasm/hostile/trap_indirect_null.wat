;; expect: indirect call to a missing or mistyped table entry
(module
  (type $t (func (result i32)))
  (table 4 funcref)
  (func (export "_fixnet_apply") (param i32) (result i32) (call_indirect (type $t) (i32.const 2))))
