;; expect: exports "_fixnet_apply" but not as a function
(module
  (global (export "_fixnet_apply") i32 (i32.const 0)))
