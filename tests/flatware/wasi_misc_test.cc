// Arguments, environment, clocks, random_get, poll_oneoff, the process and sockets; determinism.
#include <gtest/gtest.h>

#include "flatware_test_util.h"

namespace fixnet::flatware::testing {
namespace {

TEST(WasiMisc, ArgsAndEnvironLayOutNulTerminatedStrings) {
  Harness h;
  const uint32_t count = h.guest.alloc(4), size = h.guest.alloc(4);
  ASSERT_EQ(h.call(WasiCall::args_sizes_get, {count, size}), Errno::success);
  EXPECT_EQ(h.guest.u32(count), 3u);
  EXPECT_EQ(h.guest.u32(size), 5u + 7u + 4u);
  const uint32_t argv = h.guest.alloc(12), buf = h.guest.alloc(16);
  ASSERT_EQ(h.call(WasiCall::args_get, {argv, buf}), Errno::success);
  EXPECT_EQ(h.guest.u32(argv), buf);
  EXPECT_EQ(h.guest.u32(argv + 4), buf + 5);
  EXPECT_EQ(h.guest.bytes(h.guest.u32(argv + 8), 4), std::string("x y\0", 4));
  EXPECT_EQ(h.guest.bytes(buf, 16), std::string("prog\0--flag\0x y\0", 16));

  ASSERT_EQ(h.call(WasiCall::environ_sizes_get, {count, size}), Errno::success);
  EXPECT_EQ(h.guest.u32(count), 2u);
  EXPECT_EQ(h.guest.u32(size), 14u);
  const uint32_t envp = h.guest.alloc(8), ebuf = h.guest.alloc(14);
  ASSERT_EQ(h.call(WasiCall::environ_get, {envp, ebuf}), Errno::success);
  EXPECT_EQ(h.guest.bytes(h.guest.u32(envp + 4), 7), std::string("LANG=C\0", 7));

  // A buffer running off the end of memory: EFAULT, and the pointer array is not written either.
  const auto before = h.guest.snapshot();
  EXPECT_EQ(h.call(WasiCall::args_get, {argv, h.guest.size() - 4}), Errno::fault);
  EXPECT_EQ(h.guest.snapshot(), before);
  EXPECT_EQ(h.call(WasiCall::environ_sizes_get, {count, h.guest.bad()}), Errno::fault);
}

TEST(WasiMisc, ClocksAreVirtualAndAdvancePerRead) {
  Harness h;
  const uint32_t t = h.guest.alloc(8);
  ASSERT_EQ(h.call(WasiCall::clock_time_get, {wasi::kClockRealtime, 0, t}), Errno::success);
  EXPECT_EQ(h.guest.u64(t), kStart);
  ASSERT_EQ(h.call(WasiCall::clock_time_get, {wasi::kClockRealtime, 0, t}), Errno::success);
  EXPECT_EQ(h.guest.u64(t), kStart + 1000);
  ASSERT_EQ(h.call(WasiCall::clock_time_get, {wasi::kClockMonotonic, 0, t}), Errno::success);
  EXPECT_EQ(h.guest.u64(t), 2000u);
  ASSERT_EQ(h.call(WasiCall::clock_time_get, {wasi::kClockProcessCputime, 0, t}), Errno::success);
  EXPECT_EQ(h.guest.u64(t), 3000u);
  ASSERT_EQ(h.call(WasiCall::clock_time_get, {wasi::kClockThreadCputime, 0, t}), Errno::success);
  EXPECT_EQ(h.guest.u64(t), 4000u);
  EXPECT_EQ(h.call(WasiCall::clock_time_get, {4, 0, t}), Errno::inval);
  EXPECT_EQ(h.call(WasiCall::clock_time_get, {wasi::kClockMonotonic, 0, h.guest.bad()}), Errno::fault);
  // Neither failure moved the clock.
  ASSERT_EQ(h.call(WasiCall::clock_time_get, {wasi::kClockMonotonic, 0, t}), Errno::success);
  EXPECT_EQ(h.guest.u64(t), 5000u);
  ASSERT_EQ(h.call(WasiCall::clock_res_get, {wasi::kClockMonotonic, t}), Errno::success);
  EXPECT_EQ(h.guest.u64(t), 1000u);
  EXPECT_EQ(h.call(WasiCall::clock_res_get, {9, t}), Errno::inval);
}

TEST(WasiMisc, RandomIsChaCha20OfTheSeedWhateverTheSplit) {
  Harness h;
  h.input.seed = {};
  h.host = std::make_unique<WasiHost>(*h.store, h.input);
  const uint32_t one = h.guest.alloc(64);
  ASSERT_EQ(h.call(WasiCall::random_get, {one, 1}), Errno::success);
  ASSERT_EQ(h.call(WasiCall::random_get, {one + 1, 31}), Errno::success);
  // ChaCha20 keystream, all-zero key and nonce, block 0 (RFC 7539 test vectors).
  const uint8_t expected[8] = {0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90};
  EXPECT_EQ(h.guest.bytes(one, 8), std::string(reinterpret_cast<const char*>(expected), 8));

  Harness whole;
  whole.input.seed = {};
  whole.host = std::make_unique<WasiHost>(*whole.store, whole.input);
  const uint32_t all = whole.guest.alloc(64);
  ASSERT_EQ(whole.call(WasiCall::random_get, {all, 32}), Errno::success);
  EXPECT_EQ(whole.guest.bytes(all, 32), h.guest.bytes(one, 32));
  // The stream continues rather than restarting, and another seed gives other bytes.
  ASSERT_EQ(whole.call(WasiCall::random_get, {all, 32}), Errno::success);
  EXPECT_NE(whole.guest.bytes(all, 32), h.guest.bytes(one, 32));
  Harness seeded;
  const uint32_t s = seeded.guest.alloc(32);
  ASSERT_EQ(seeded.call(WasiCall::random_get, {s, 32}), Errno::success);
  EXPECT_NE(seeded.guest.bytes(s, 32), h.guest.bytes(one, 32));
  EXPECT_EQ(h.call(WasiCall::random_get, {h.guest.size() - 4, 8}), Errno::fault);
}

// Lays out subscriptions; returns the address of the array.
struct Sub {
  uint64_t userdata;
  uint8_t tag;
  uint32_t clock_or_fd;
  uint64_t timeout = 0;
  uint16_t flags = 0;
};
uint32_t subscriptions(Guest& g, const std::vector<Sub>& subs) {
  const uint32_t at = g.alloc(48 * subs.size());
  for (size_t i = 0; i < subs.size(); ++i) {
    const uint32_t s = at + 48 * i;
    g.store64(s, subs[i].userdata);
    g.store8(s + 8, subs[i].tag);
    g.store32(s + 16, subs[i].clock_or_fd);
    g.store64(s + 24, subs[i].timeout);
    g.store16(s + 40, subs[i].flags);
  }
  return at;
}

TEST(WasiMisc, PollOnClocksAdvancesVirtualTime) {
  Harness h;
  const uint32_t in = subscriptions(h.guest, {{7, wasi::kEventClock, wasi::kClockMonotonic, 5'000'000},
                                              {8, wasi::kEventClock, wasi::kClockMonotonic, 9'000'000}});
  const uint32_t out = h.guest.alloc(64), n = h.guest.alloc(4);
  ASSERT_EQ(h.call(WasiCall::poll_oneoff, {in, out, 2, n}), Errno::success);
  ASSERT_EQ(h.guest.u32(n), 1u);  // only the earlier deadline fired
  EXPECT_EQ(h.guest.u64(out), 7u);
  EXPECT_EQ(h.guest.u16(out + 8), 0u);
  EXPECT_EQ(h.guest.u8(out + 10), wasi::kEventClock);
  EXPECT_EQ(h.host->clock().elapsed(), 5'000'000u);
  // An absolute realtime deadline.
  const uint32_t abs = subscriptions(
      h.guest, {{9, wasi::kEventClock, wasi::kClockRealtime, kStart + 7'000'000, wasi::kSubclockAbstime}});
  ASSERT_EQ(h.call(WasiCall::poll_oneoff, {abs, out, 1, n}), Errno::success);
  EXPECT_EQ(h.guest.u32(n), 1u);
  EXPECT_EQ(h.host->clock().elapsed(), 7'000'000u);
  const uint32_t t = h.guest.alloc(8);
  ASSERT_EQ(h.call(WasiCall::clock_time_get, {wasi::kClockRealtime, 0, t}), Errno::success);
  EXPECT_EQ(h.guest.u64(t), kStart + 7'000'000);
  // A deadline in the past fires without moving time back.
  const uint32_t past = subscriptions(h.guest, {{1, wasi::kEventClock, wasi::kClockMonotonic, 5, 1}});
  ASSERT_EQ(h.call(WasiCall::poll_oneoff, {past, out, 1, n}), Errno::success);
  EXPECT_EQ(h.guest.u32(n), 1u);
  EXPECT_EQ(h.host->clock().elapsed(), 7'001'000u);
}

TEST(WasiMisc, PollOnFdsIsReadyAtOnce) {
  Harness h(Name(), {}, "12345");
  std::string got;
  ASSERT_EQ(h.read(0, 2, got), Errno::success);
  const uint32_t in = subscriptions(h.guest, {{1, wasi::kEventFdRead, 0},
                                              {2, wasi::kEventFdWrite, 1},
                                              {3, wasi::kEventFdRead, 55},
                                              {4, wasi::kEventClock, wasi::kClockMonotonic, 1'000'000'000}});
  const uint32_t out = h.guest.alloc(4 * 32), n = h.guest.alloc(4);
  ASSERT_EQ(h.call(WasiCall::poll_oneoff, {in, out, 4, n}), Errno::success);
  ASSERT_EQ(h.guest.u32(n), 3u);  // the clock has not fired: fds were ready
  EXPECT_EQ(h.guest.u64(out), 1u);
  EXPECT_EQ(h.guest.u64(out + 16), 3u);  // bytes left on stdin
  EXPECT_EQ(h.guest.u8(out + 10), wasi::kEventFdRead);
  EXPECT_EQ(h.guest.u64(out + 32), 2u);
  EXPECT_EQ(h.guest.u8(out + 32 + 10), wasi::kEventFdWrite);
  EXPECT_EQ(h.guest.u64(out + 64), 3u);
  EXPECT_EQ(h.guest.u16(out + 64 + 8), wasi::code(Errno::badf));
  EXPECT_EQ(h.host->clock().elapsed(), 0u);
  EXPECT_EQ(h.call(WasiCall::poll_oneoff, {in, out, 0, n}), Errno::inval);
  EXPECT_EQ(h.call(WasiCall::poll_oneoff, {in, h.guest.bad(), 4, n}), Errno::fault);
}

TEST(WasiMisc, ProcessCalls) {
  Harness h;
  try {
    h.call(WasiCall::proc_exit, {17});
    FAIL() << "proc_exit returned";
  } catch (const wasm::ProcExit& e) {
    EXPECT_EQ(e.code, 17u);
  }
  EXPECT_EQ(h.call(WasiCall::proc_raise, {6}), Errno::nosys);
  EXPECT_EQ(h.call(WasiCall::sched_yield, {0}), Errno::success);
}

TEST(WasiMisc, SocketsAreNeverThere) {
  Harness h;
  const uint32_t p = h.guest.alloc(16);
  EXPECT_EQ(h.call(WasiCall::sock_accept, {3, 0, p}), Errno::notsock);
  EXPECT_EQ(h.call(WasiCall::sock_recv, {0, p, 0, 0, p, p}), Errno::notsock);
  EXPECT_EQ(h.call(WasiCall::sock_send, {1, p, 0, 0, p}), Errno::notsock);
  EXPECT_EQ(h.call(WasiCall::sock_shutdown, {2, 3}), Errno::notsock);
  EXPECT_EQ(h.call(WasiCall::sock_accept, {40, 0, p}), Errno::badf);
  EXPECT_EQ(h.call(WasiCall::sock_recv, {40, p, 0, 0, p, p}), Errno::badf);
  EXPECT_EQ(h.call(WasiCall::sock_send, {40, p, 0, 0, p}), Errno::badf);
  EXPECT_EQ(h.call(WasiCall::sock_shutdown, {40, 3}), Errno::badf);
}

// The same calls on the same input give the same output Name, clock readings and random bytes.
TEST(WasiMisc, TwoHostsOnTheSameInputAgree) {
  auto run = [](Harness& h) {
    const uint32_t fd = h.open_ok("out.txt", wasi::kOflagCreat);
    const uint32_t r = h.guest.alloc(16), t = h.guest.alloc(8);
    h.call(WasiCall::random_get, {r, 16});
    h.call(WasiCall::clock_time_get, {wasi::kClockRealtime, 0, t});
    h.write(fd, {h.guest.bytes(r, 16), h.guest.bytes(t, 8)});
    h.call(WasiCall::path_create_directory, {3, h.guest.put("d"), 1});
    h.write(1, {"done"});
    return h.finish_tree(0);
  };
  Harness a, b;
  const Name first = run(a);
  EXPECT_EQ(first, run(b));
  Harness c;
  c.input.seed[5] ^= 1;
  c.host = std::make_unique<WasiHost>(*c.store, c.input);
  EXPECT_NE(run(c), first);  // the seed reaches the output
}

}  // namespace
}  // namespace fixnet::flatware::testing
