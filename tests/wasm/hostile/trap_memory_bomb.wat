;; expect: unreachable executed
(module
  (memory 1)
  (func (export "_fixnet_apply") (param i32) (result i32)
    ;; Growing past the limit fails (-1) instead of taking the host's memory; then give up.
    (if (i32.eq (memory.grow (i32.const 60000)) (i32.const -1)) (then (unreachable)))
    (local.get 0)))
