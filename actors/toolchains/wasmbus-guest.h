// The guest side of the 2022 wasmbus ABI (the waPC-style ABI of the 2022 wasmCloud host: imports
// from module `wasmbus`, exports __guest_call, wapc_init and memory) for the freestanding C actors
// built by compileC (actors/toolchains/c.ts), plus the byte strings and msgpack building blocks
// their payloads need. The actor defines `dispatch`, which answers one operation with reply() or
// fail(); __guest_call here reads the request and hands it over.
// Everything is static inline, so each actor gets its own copy and what it does not use is dropped
// (an import nothing calls is not imported).

#ifndef WASMCLOUD_TS_WASMBUS_GUEST_H
#define WASMCLOUD_TS_WASMBUS_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

#define WASMBUS(name) __attribute__((import_module("wasmbus"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

// --- The wasmbus imports ------------------------------------------------------------------

WASMBUS("__guest_request") extern void guest_request(uint8_t *op, uint8_t *msg);
WASMBUS("__guest_response") extern void guest_response(const uint8_t *ptr, size_t len);
WASMBUS("__guest_error") extern void guest_error(const uint8_t *ptr, size_t len);
WASMBUS("__host_call")
extern int32_t host_call_raw(const uint8_t *binding, size_t binding_len, const uint8_t *ns, size_t ns_len,
                             const uint8_t *op, size_t op_len, const uint8_t *msg, size_t msg_len);
WASMBUS("__host_response") extern void host_response(uint8_t *ptr);
WASMBUS("__host_response_len") extern size_t host_response_len(void);
WASMBUS("__host_error") extern void host_error(uint8_t *ptr);
WASMBUS("__host_error_len") extern size_t host_error_len(void);
WASMBUS("__console_log") extern void console_log(const uint8_t *ptr, size_t len);

// --- Byte strings -------------------------------------------------------------------------

typedef struct {
  const uint8_t *ptr;
  size_t len;
} bytes_t;

#define LIT(literal) ((bytes_t){(const uint8_t *)(literal), sizeof(literal) - 1})

static inline int bytes_equal(bytes_t a, bytes_t b) {
  if (a.len != b.len) return 0;
  for (size_t i = 0; i < a.len; i++) {
    if (a.ptr[i] != b.ptr[i]) return 0;
  }
  return 1;
}

static inline bytes_t concat(bytes_t a, bytes_t b) {
  uint8_t *out = arena_alloc((uint64_t)a.len + b.len, 1);
  __builtin_memcpy(out, a.ptr, a.len);
  __builtin_memcpy(out + a.len, b.ptr, b.len);
  return (bytes_t){out, a.len + b.len};
}

// --- Answering the host (the return value of __guest_call) --------------------------------

static inline int32_t reply(bytes_t response) {
  guest_response(response.ptr, response.len);
  return 1;
}

static inline int32_t fail(bytes_t error) {
  guest_error(error.ptr, error.len);
  return 0;
}

// --- Calling out --------------------------------------------------------------------------

// Calls `op` on `ns` (a contract ID or an actor's call alias) over the default link.
// Returns 1 with the reply in *out, or 0 with the host's error in *out.
static inline int host_call(bytes_t ns, bytes_t op, bytes_t msg, bytes_t *out) {
  static const uint8_t binding[] = "default";
  int ok = host_call_raw(binding, sizeof binding - 1, ns.ptr, ns.len, op.ptr, op.len, msg.ptr, msg.len);
  size_t len = ok ? host_response_len() : host_error_len();
  uint8_t *buffer = arena_alloc(len, 1);
  if (ok) {
    host_response(buffer);
  } else {
    host_error(buffer);
  }
  *out = (bytes_t){buffer, len};
  return ok;
}

// --- msgpack building blocks: reading bounded input, writing into a presized buffer -------

typedef struct {
  const uint8_t *data;
  size_t len;
  size_t pos;
} reader_t;

// The next n bytes, or 0 when fewer are left.
static inline int take(reader_t *r, uint64_t n, const uint8_t **out) {
  if ((uint64_t)(r->len - r->pos) < n) return 0;
  *out = r->data + r->pos;
  r->pos += (size_t)n;
  return 1;
}

// An n-byte big-endian unsigned integer (msgpack's lengths and integer payloads).
static inline int read_uint(reader_t *r, size_t n, uint64_t *out) {
  const uint8_t *p;
  if (!take(r, n, &p)) return 0;
  uint64_t value = 0;
  for (size_t i = 0; i < n; i++) value = value << 8 | p[i];
  *out = value;
  return 1;
}

// Appends bytes to a buffer the caller sized beforehand.
typedef struct {
  uint8_t *data;
  size_t len;
} writer_t;

static inline void put_byte(writer_t *w, uint8_t byte) { w->data[w->len++] = byte; }

static inline void put_bytes(writer_t *w, bytes_t bytes) {
  __builtin_memcpy(w->data + w->len, bytes.ptr, bytes.len);
  w->len += bytes.len;
}

// --- The exports --------------------------------------------------------------------------

// Defined by the actor: answers operation `op` with reply() or fail() and returns what they return.
static int32_t dispatch(bytes_t op, bytes_t msg);

// Returns 1 when it answered with __guest_response, 0 with __guest_error.
EXPORT("__guest_call") int32_t guest_call(size_t op_len, size_t msg_len) {
  arena_reset();  // nothing from an earlier call is still in use
  uint8_t *op = arena_alloc(op_len, 1);
  uint8_t *msg = arena_alloc(msg_len, 1);
  guest_request(op, msg);
  return dispatch((bytes_t){op, op_len}, (bytes_t){msg, msg_len});
}

// The host calls this once after instantiation; there is nothing to set up.
EXPORT("wapc_init") void wapc_init(void) {}

#endif
