;; expect: indirect call to a missing or mistyped table entry
(module
  (type $t (func (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $wrong)
  (func $wrong (param i64) (result i32) (i32.const 1))
  (func (export "_fixnet_apply") (param i32) (result i32) (call_indirect (type $t) (i32.const 0))))
