// A bump arena in linear memory for the freestanding C actors (no libc, so no malloc): it starts
// at __heap_base and is reset as a whole once nothing in it is in use any more (after a call).
// Everything here is static inline: each actor that includes it gets its own copy, and no warning
// for what it does not use.

#ifndef WASMCLOUD_TS_ARENA_H
#define WASMCLOUD_TS_ARENA_H

#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE 65536u

// Set by wasm-ld: the first byte after static data and the stack.
extern uint8_t __heap_base;

static uintptr_t arena_top;

static inline void arena_reset(void) { arena_top = (uintptr_t)&__heap_base; }

// Grows linear memory so that [0, end) is addressable; traps when the host refuses.
static inline void ensure_memory(uint64_t end) {
  uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) * PAGE_SIZE;
  if (end <= have) return;
  size_t pages = (size_t)((end - have + PAGE_SIZE - 1) / PAGE_SIZE);
  if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) __builtin_trap();
}

// `size` is 64-bit so that a caller's size arithmetic cannot wrap: too large traps instead.
static inline void *arena_alloc(uint64_t size, size_t align) {
  if (arena_top == 0) arena_reset();
  uint64_t start = ((uint64_t)arena_top + align - 1) & ~((uint64_t)align - 1);
  uint64_t end = start + size;
  if (end > UINT32_MAX) __builtin_trap();
  ensure_memory(end);
  arena_top = (uintptr_t)end;
  return (void *)(uintptr_t)start;
}

#endif
