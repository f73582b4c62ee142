// wasmbus-loop — an actor that runs away, on purpose: the host must stop it at its timeout and
// keep serving every other actor meanwhile (docs/actors.md, "Limits").
//
//   Loop.Forever  never returns (a loop with no way out)
//   Loop.Spin     msg: a decimal count N; runs N rounds of a 32-bit LCG from 1 and answers the
//                 final state in decimal: long but finite work, checkable from outside
//                 (x = x * 1664525 + 1013904223, modulo 2^32)
//   Loop.Fib      msg: a decimal n; answers fib(n) computed by naive recursion: lots of work and
//                 no loop at all, only calls

#include "wasmbus-guest.h"

// Reads a decimal number (at most 10 digits); 0 when the message is not one.
static int read_decimal(bytes_t msg, uint64_t *out) {
  if (msg.len == 0 || msg.len > 10) return 0;
  uint64_t value = 0;
  for (size_t i = 0; i < msg.len; i++) {
    if (msg.ptr[i] < '0' || msg.ptr[i] > '9') return 0;
    value = value * 10 + (uint64_t)(msg.ptr[i] - '0');
  }
  *out = value;
  return 1;
}

static bytes_t format_decimal(uint64_t value) {
  uint8_t digits[20];
  size_t n = 0;
  do {
    digits[n++] = (uint8_t)('0' + value % 10);
    value /= 10;
  } while (value > 0);
  uint8_t *out = arena_alloc(n, 1);
  for (size_t i = 0; i < n; i++) out[i] = digits[n - 1 - i];
  return (bytes_t){out, n};
}

// The volatile read keeps the compiler from proving the loop endless (and removing it).
static volatile int keep_spinning = 1;

static int32_t loop_forever(bytes_t msg) {
  (void)msg;
  while (keep_spinning) {
  }
  return reply(LIT(""));
}

static int32_t loop_spin(bytes_t msg) {
  uint64_t rounds;
  if (!read_decimal(msg, &rounds)) return fail(LIT("Loop.Spin: expected a decimal count"));
  uint32_t x = 1;
  for (uint64_t i = 0; i < rounds; i++) x = x * 1664525u + 1013904223u;
  return reply(format_decimal(x));
}

// Not inlined into a loop: each call is a function entry, where the host's yield points also sit.
__attribute__((noinline)) static uint64_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static int32_t loop_fib(bytes_t msg) {
  uint64_t n;
  if (!read_decimal(msg, &n) || n > 90) return fail(LIT("Loop.Fib: expected a decimal n ≤ 90"));
  return reply(format_decimal(fib((uint32_t)n)));
}

static int32_t dispatch(bytes_t op, bytes_t msg) {
  if (bytes_equal(op, LIT("Loop.Forever"))) return loop_forever(msg);
  if (bytes_equal(op, LIT("Loop.Spin"))) return loop_spin(msg);
  if (bytes_equal(op, LIT("Loop.Fib"))) return loop_fib(msg);
  return fail(concat(LIT("wasmbus-loop: unknown operation "), op));
}
