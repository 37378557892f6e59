// `fixnet bench invoke`: what one call of a procedure costs, side by side with other ways to call
// the same addition (issue 3, "Measured"):
//   (a) static_call: a C++ function adding two u8, not inlined, its inputs opaque to the compiler;
//   (b) virtual_call: the same through a virtual call whose target is chosen at run time;
//   (c) eval_apply: Evaluator::force of Applications [limits, add.wasm, u8 i, u8 j] (examples/add.c),
//       256 different ones (i, j < 16) prepared before timing and forced in turn, with the memo
//       table not read, so the procedure runs on every call, through the path a real evaluation
//       takes: the encode tree read from the store, its limits, the runner the ProcedureDispatcher
//       routes the procedure to (kept per thread and procedure by the evaluator), WasmRunner,
//       Instance (the guarded call of the compiled code, its 8 guest API calls, the reset) and the
//       Think memo write. Different arguments each call, as a real workload applies a procedure:
//       nothing on the path may count on seeing the same Application again;
//   (d) vfork_exec and (e) posix_spawn of a native add program, waiting for its exit code.
//   interp_apply: (c) with wabt's interpreter instead of the compiled code (the engine that runs a
//   module while it compiles, docs/wasm.md), everything else the same (the same 256 Applications).
// dispatcher_apply (ProcedureDispatcher::apply: routing, then the runner; the evaluator keeps the
// routing per thread and procedure instead) and runner_apply time the inner layers alone (on one
// Invocation), empty_apply a guest that
// returns at once (the fixed cost of an invocation) and guarded_call the trap guard and guest-stack
// switch around an empty body, to show where (c)'s time goes.
#include <fmt/format.h>

#include "bench/harness.h"
#include "bench/native_program.h"
#include "bench/wasm_fixnet.h"
#include "core/error.h"
#include "core/evaluator.h"
#include "wasm/guarded_call.h"
#include "wasm/wat.h"

namespace fixnet::bench {
namespace {

// Calls per timed batch: enough that a clock read (tens of ns) is noise against the batch.
constexpr size_t kBatchFunction = 1024;  // (a), (b): a few ns each
constexpr size_t kBatchProcedure = 64;   // (c) and its layers: tens of ns each
constexpr size_t kBatchProcess = 1;      // (d), (e): milliseconds each

#if defined(__GNUC__) && !defined(__clang__)
#define FIXNET_BENCH_NOT_FOLDED __attribute__((noinline, noipa))
#else
#define FIXNET_BENCH_NOT_FOLDED __attribute__((noinline))
#endif

FIXNET_BENCH_NOT_FOLDED uint8_t static_add(uint8_t a, uint8_t b) { return static_cast<uint8_t>(a + b); }

struct Adder {
  virtual ~Adder() = default;
  virtual uint8_t add(uint8_t a, uint8_t b) const = 0;
};
struct WrappingAdder : Adder {
  uint8_t add(uint8_t a, uint8_t b) const override { return static_cast<uint8_t>(a + b); }
};
struct SaturatingAdder : Adder {
  uint8_t add(uint8_t a, uint8_t b) const override { return a + b > 255 ? 255 : static_cast<uint8_t>(a + b); }
};
// Read at run time, so the compiler cannot turn the virtual call into a direct one.
volatile int adder_choice = 0;

void empty_body(void*) {}

// A procedure that returns its encode tree at once: all an invocation costs besides the guest's work.
constexpr const char* kReturnAtOnce =
    R"((module (func (export "_fixnet_apply") (param i32) (result i32) (local.get 0))))";
const Adder& pick_adder() {
  static WrappingAdder wrapping;
  static SaturatingAdder saturating;
  return adder_choice ? static_cast<const Adder&>(saturating) : wrapping;
}

}  // namespace

Report invoke_benchmark(const Options& options) {
  progress("invoke: compiling add.wasm and the native add program (not timed)");
  WasmFixnet fx;
  const Name add = fx.example("add");
  const Name encode = fx.store.put_tree({Limits{}.to_blob_name(), add, u8_literal(2), u8_literal(3)});
  const Name thunk = encode.application();
  // (c)'s Applications: add on 256 different argument pairs, forced in turn.
  constexpr size_t kApplications = 256;
  auto add_applications = [](WasmFixnet& f, Name procedure) {
    std::vector<Name> thunks;
    for (size_t k = 0; k < kApplications; ++k)
      thunks.push_back(f.store.put_tree({Limits{}.to_blob_name(), procedure, u8_literal(k % 16), u8_literal(k / 16)})
                           .application());
    return thunks;
  };
  auto sum_of = [](size_t k) { return u8_literal(static_cast<uint8_t>(k % 16 + k / 16)); };
  const std::vector<Name> thunks = add_applications(fx, add);
  const Name five = u8_literal(5);
  ThreadPool pool(1);
  Evaluator evaluator(fx.store, fx.relations, fx.dispatcher, pool, EvaluatorOptions{.read_memo = false});
  // As the evaluator calls the runner: with the encode tree's entries it already holds.
  const TreeData entries = fx.store.get_tree(encode);
  const Invocation invocation{fx.store, encode, add, Limits{}, *entries};
  const Name at_once = fx.store.put_blob(wasm::wat_to_wasm(kReturnAtOnce));
  fx.runner.prepare(fx.store, at_once);
  const Name at_once_encode = fx.store.put_tree({Limits{}.to_blob_name(), at_once});
  const TreeData empty_entries = fx.store.get_tree(at_once_encode);
  const Invocation empty{fx.store, at_once_encode, at_once, Limits{}, *empty_entries};
  const NativeProgram native(fx.cache.path(), "add", native_add_source());
  WasmFixnet interp(wasm::Engine::Interp);
  const std::vector<Name> interp_thunks = add_applications(interp, interp.example("add"));
  Evaluator interp_evaluator(interp.store, interp.relations, interp.dispatcher, pool,
                             EvaluatorOptions{.read_memo = false});
  const Adder* adder = &pick_adder();
  // Each way gets the same question first; a wrong answer would make its figure meaningless.
  if (static_add(2, 3) != 5 || adder->add(2, 3) != 5 || evaluator.force(thunk) != five ||
      fx.dispatcher.apply(invocation) != five || fx.runner.apply(invocation) != five ||
      native.vfork_exec({"2", "3"}) != 5 || native.posix_spawn({"2", "3"}) != 5 ||
      fx.runner.apply(empty) != at_once_encode || wasm::run_guarded(empty_body, nullptr) != 0 ||
      interp_evaluator.force(interp_thunks[2 + 3 * 16]) != five)
    throw Error("bench invoke: a way of adding u8 2 and u8 3 did not give 5");
  for (size_t k = 0; k < kApplications; ++k)
    if (evaluator.force(thunks[k]) != sum_of(k) || interp_evaluator.force(interp_thunks[k]) != sum_of(k))
      throw Error(fmt::format("bench invoke: add of u8 {} and u8 {} did not give {}", k % 16, k / 16, k % 16 + k / 16));
  size_t next = 0, interp_next = 0;

  const size_t rounds = options.quick ? 3 : 7;
  const double seconds = measured_seconds(options);
  const double slice = seconds / static_cast<double>(rounds);
  uint8_t a = 2, b = 3;
  std::vector<double> s_ns, v_ns, c_ns, d_ns, r_ns, e_ns, g_ns, fork_ns, spawn_ns, i_ns;
  const uint64_t applications_before = evaluator.stats().applications;
  progress(fmt::format("invoke: {} rounds of 10 measurements, {:.2f} s each", rounds, seconds));
  auto samples = interleave(
      {
          latency(s_ns, slice, kBatchFunction,
                  [&] {
                    opaque(a);
                    opaque(b);
                    keep(static_add(a, b));
                  }),
          latency(v_ns, slice, kBatchFunction,
                  [&] {
                    opaque(adder);  // reloaded every call, as through any pointer
                    opaque(a);
                    keep(adder->add(a, b));
                  }),
          latency(c_ns, slice, kBatchProcedure,
                  [&] { keep(evaluator.force(thunks[next++ % kApplications])); }),
          latency(d_ns, slice, kBatchProcedure, [&] { keep(fx.dispatcher.apply(invocation)); }),
          latency(r_ns, slice, kBatchProcedure, [&] { keep(fx.runner.apply(invocation)); }),
          latency(e_ns, slice, kBatchProcedure, [&] { keep(fx.runner.apply(empty)); }),
          latency(g_ns, slice, kBatchProcedure, [&] { keep(wasm::run_guarded(empty_body, nullptr)); }),
          latency(fork_ns, slice, kBatchProcess, [&] { keep(native.vfork_exec({"2", "3"})); }),
          latency(spawn_ns, slice, kBatchProcess, [&] { keep(native.posix_spawn({"2", "3"})); }),
          latency(i_ns, slice, kBatchProcedure,
                  [&] { keep(interp_evaluator.force(interp_thunks[interp_next++ % kApplications])); }),
      },
      rounds, seconds);
  const uint64_t applications = evaluator.stats().applications - applications_before;
  if (applications != c_ns.size() * kBatchProcedure)
    throw Error(
        "bench invoke: the evaluator did not run the procedure on every call; the figures would be wrong");
  const auto &s = samples[0], &v = samples[1], &c = samples[2], &fork = samples[7], &spawn = samples[8];

  Report report;
  const double c_over_v = median(quotients(c, v)), fork_over_c = median(quotients(fork, c)),
               spawn_over_c = median(quotients(spawn, c));
  report.add({"static_call_median", median(s_ns), "ns", "", std::nullopt});
  report.add({"virtual_call_median", median(v_ns), "ns", "static_call_median", median(quotients(v, s))});
  report.add({"eval_apply_median", median(c_ns), "ns", "virtual_call_median", c_over_v});
  report.add({"eval_apply_p99", percentile(c_ns, 99), "ns", "", std::nullopt});
  report.add(
      {"dispatcher_apply_median", median(d_ns), "ns", "eval_apply_median", median(quotients(samples[3], c))});
  report.add(
      {"runner_apply_median", median(r_ns), "ns", "eval_apply_median", median(quotients(samples[4], c))});
  report.add(
      {"empty_apply_median", median(e_ns), "ns", "eval_apply_median", median(quotients(samples[5], c))});
  report.add(
      {"guarded_call_median", median(g_ns), "ns", "eval_apply_median", median(quotients(samples[6], c))});
  report.add({"interp_apply_median", median(i_ns), "ns", "eval_apply_median", median(quotients(samples[9], c))});
  report.add({"vfork_exec_median", median(fork_ns), "ns", "eval_apply_median", fork_over_c});
  report.add({"vfork_exec_p99", percentile(fork_ns, 99), "ns", "", std::nullopt});
  report.add({"posix_spawn_median", median(spawn_ns), "ns", "eval_apply_median", spawn_over_c});
  report.add({"posix_spawn_p99", percentile(spawn_ns, 99), "ns", "", std::nullopt});
  report.not_measured.emplace_back("rr", "rr does not run on this CPU");
  report.add_ratio("eval_apply_over_virtual_call", c_over_v);
  report.add_ratio("vfork_exec_over_eval_apply", fork_over_c);
  report.add_ratio("posix_spawn_over_eval_apply", spawn_over_c);
  report.targets.push_back({"invoke_median", "eval_apply_median", 40});
  report.targets.push_back({"invoke_over_virtual_call", "eval_apply_over_virtual_call", 8});
  report.targets.push_back({"vfork_exec_over_invoke", "vfork_exec_over_eval_apply", 1000, true});
  report.inputs["procedure"] = {
      {"module", "add"}, {"module_bytes", add.size()}, {"arguments", "u8 i, u8 j for 256 pairs (i, j < 16), in turn"}, {"guest_api_calls", 8}};
  report.inputs["batch_calls"] = {
      {"function", kBatchFunction}, {"procedure", kBatchProcedure}, {"process", kBatchProcess}};
  report.inputs["samples"] = {
      {"eval_apply", c_ns.size()}, {"interp_apply", i_ns.size()}, {"vfork_exec", fork_ns.size()}, {"posix_spawn", spawn_ns.size()}};
  report.inputs["rounds"] = c.size();
  report.inputs["clock_read_ns"] = clock_read_ns();
  report.method = fmt::format(
      "Ten measurements run interleaved in {} alternating rounds of {:.3f} s each. A sample is the "
      "mean ns per call of a batch timed between two steady-clock reads: {} calls for the C++ "
      "function (a) and the virtual call (b), {} for the procedure (c) and its inner layers, 1 for "
      "the processes (d, e); *_median is the median of all samples, *_p99 their 99th percentile (of "
      "batch means). (a) calls a not-inlined function on operands the compiler cannot see; (b) "
      "calls through a pointer it reloads each time. (c) eval_apply is Evaluator::force of "
      "Application([limits, add, u8 i, u8 j]), 256 different pairs in turn, with "
      "EvaluatorOptions::read_memo off: the memo lookup is skipped, everything else of a real "
      "evaluation runs (the encode tree read from the store, its limits, the runner the "
      "ProcedureDispatcher routes the procedure to, kept per thread and procedure; WasmRunner, the "
      "compiled add with its 8 guest API calls in a fresh instance state, the Think memo write). "
      "dispatcher_apply and runner_apply call "
      "ProcedureDispatcher::apply and WasmRunner::apply on the same Invocation; empty_apply "
      "WasmRunner::apply of a procedure returning its encode tree at once (the fixed cost: "
      "thread-local instance lookup, guard, call, reset); guarded_call wasm::run_guarded of an "
      "empty body (trap guard and guest-stack switch). interp_apply is (c) with the engine "
      "interp: wabt's interpreter runs the same instrumented add, with the same host functions. "
      "(d) vfork+exec and "
      "(e) posix_spawn start a native add compiled at bench start with the system C compiler and "
      "wait for it. Ratios are medians of per-round quotients of the round medians. The module is "
      "compiled and loaded, and each way's answer (5) checked, before anything is timed.",
      rounds, slice, kBatchFunction, kBatchProcedure);
  return report;
}

}  // namespace fixnet::bench
