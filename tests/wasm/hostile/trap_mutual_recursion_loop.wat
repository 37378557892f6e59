;; expect: fuel exhausted
(module
  (func $ping (param i32) (result i32) (if (result i32) (local.get 0) (then (call $pong (i32.const 0))) (else (i32.const 0))))
  (func $pong (param i32) (result i32) (loop $l (br_if $l (i32.eqz (local.get 0)))) (i32.const 1))
  (func (export "_fixnet_apply") (param i32) (result i32) (drop (call $ping (i32.const 1))) (local.get 0)))
