// wasmbus-kvcounter — a 2022 wasmbus actor (a core module, not a component) in freestanding C.
//
// It speaks the waPC-style ABI of the 2022 wasmCloud host (imports from module `wasmbus`,
// exports __guest_call, wapc_init and memory) with msgpack payloads. Besides the counter
// (HttpServer.HandleRequest) it answers a few Test.* operations the host's tests use: echo,
// an endless loop (timeouts), a trap, memory growth (the memory cap), console logging and a
// call to another actor by its call alias.

#include "wasmbus-guest.h"

// --- msgpack: just the integers, fixstr, fixmap and bin8 this actor needs -----------------

// Decodes a message that is exactly one msgpack integer. Returns 0 if it is anything else.
static int msgpack_read_int(bytes_t in, int64_t *out) {
  reader_t r = {in.ptr, in.len, 0};
  const uint8_t *tag;
  uint64_t value;
  if (!take(&r, 1, &tag)) return 0;
  uint8_t t = *tag;
  if (t <= 0x7f) {
    *out = t;  // positive fixint
  } else if (t >= 0xe0) {
    *out = (int8_t)t;  // negative fixint
  } else if (t >= 0xcc && t <= 0xcf) {
    // uint8/16/32/64
    if (!read_uint(&r, (size_t)1 << (t - 0xcc), &value) || value > INT64_MAX) return 0;
    *out = (int64_t)value;
  } else if (t >= 0xd0 && t <= 0xd3) {
    size_t n = (size_t)1 << (t - 0xd0);  // int8/16/32/64: sign-extend from n bytes
    if (!read_uint(&r, n, &value)) return 0;
    unsigned shift = (unsigned)(64 - 8 * n);
    *out = (int64_t)(value << shift) >> shift;
  } else {
    return 0;
  }
  return r.pos == r.len;
}

static void put_big_endian(writer_t *w, uint64_t value, size_t n) {
  for (size_t i = n; i-- > 0;) put_byte(w, (uint8_t)(value >> (8 * i)));
}

// The smallest msgpack encoding of an integer in the int32 / uint32 range (at most 5 bytes).
static void put_int(writer_t *w, int64_t value) {
  if (value >= 0 && value <= 0x7f) {
    put_byte(w, (uint8_t)value);
  } else if (value < 0 && value >= -32) {
    put_byte(w, (uint8_t)(int8_t)value);
  } else if (value > 0) {
    size_t n = value <= 0xff ? 1 : value <= 0xffff ? 2 : 4;
    put_byte(w, n == 1 ? 0xcc : n == 2 ? 0xcd : 0xce);
    put_big_endian(w, (uint64_t)value, n);
  } else {
    size_t n = value >= -128 ? 1 : value >= -32768 ? 2 : 4;
    put_byte(w, n == 1 ? 0xd0 : n == 2 ? 0xd1 : 0xd2);
    put_big_endian(w, (uint64_t)value, n);
  }
}

static void put_fixstr(writer_t *w, bytes_t text) {  // text shorter than 32 bytes
  put_byte(w, (uint8_t)(0xa0 | text.len));
  put_bytes(w, text);
}

static void put_bin8(writer_t *w, bytes_t data) {  // data shorter than 256 bytes
  put_byte(w, 0xc4);
  put_byte(w, (uint8_t)data.len);
  put_bytes(w, data);
}

static bytes_t encode_int(int64_t value) {
  writer_t w = {arena_alloc(5, 1), 0};
  put_int(&w, value);
  return (bytes_t){w.data, w.len};
}

// --- HttpServer.HandleRequest -------------------------------------------------------------

// IncrementRequest {"key": "counter", "value": 1}
static const uint8_t increment_request[] = {
    0x82,                                          // map of 2
    0xa3, 'k', 'e', 'y',                           // "key"
    0xa7, 'c', 'o', 'u', 'n', 't', 'e', 'r',       // "counter"
    0xa5, 'v', 'a', 'l', 'u', 'e',                 // "value"
    0x01,                                          // 1
};

// Decimal text of a signed 32-bit integer, in the arena.
static bytes_t format_i32(int32_t value) {
  uint8_t digits[11];  // "2147483648" plus a sign
  size_t n = 0;
  uint32_t magnitude = value < 0 ? 0u - (uint32_t)value : (uint32_t)value;
  do {
    digits[n++] = (uint8_t)('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  if (value < 0) digits[n++] = '-';
  uint8_t *out = arena_alloc(n, 1);
  for (size_t i = 0; i < n; i++) out[i] = digits[n - 1 - i];
  return (bytes_t){out, n};
}

// HttpResponse {"statusCode": status, "header": {}, "body": bin(body)}; body < 256 bytes.
static bytes_t encode_http_response(uint16_t status, bytes_t body) {
  writer_t w = {arena_alloc(64 + body.len, 1), 0};
  put_byte(&w, 0x83);  // map of 3
  put_fixstr(&w, LIT("statusCode"));
  put_int(&w, status);
  put_fixstr(&w, LIT("header"));
  put_byte(&w, 0x80);  // empty map
  put_fixstr(&w, LIT("body"));
  put_bin8(&w, body);
  return (bytes_t){w.data, w.len};
}

static int32_t handle_request(bytes_t msg) {
  (void)msg;  // the request does not matter to a counter
  bytes_t answer;
  bytes_t request = {increment_request, sizeof increment_request};
  if (!host_call(LIT("wasmcloud:keyvalue"), LIT("KeyValue.Increment"), request, &answer)) {
    return fail(concat(LIT("kvcounter: "), answer));
  }
  int64_t counter;
  if (!msgpack_read_int(answer, &counter) || counter < INT32_MIN || counter > INT32_MAX) {
    return fail(LIT("kvcounter: KeyValue.Increment did not answer an int32"));
  }
  bytes_t body = concat(concat(LIT("{\"counter\":"), format_i32((int32_t)counter)), LIT("}"));
  return reply(encode_http_response(200, body));
}

// --- Test.* operations --------------------------------------------------------------------

static int32_t test_echo(bytes_t msg) { return reply(msg); }

// Never returns: the host must time the call out. The volatile read keeps the loop alive.
static volatile int keep_spinning = 1;

static int32_t test_loop(bytes_t msg) {
  (void)msg;
  while (keep_spinning) {
  }
  return reply(LIT(""));
}

static int32_t test_trap(bytes_t msg) {
  (void)msg;
  __builtin_trap();
}

// Grows memory by N pages (msg: a msgpack non-negative integer) and answers the old page
// count, or -1 when the host refuses the growth.
static int32_t test_grow(bytes_t msg) {
  int64_t pages;
  if (!msgpack_read_int(msg, &pages) || pages < 0 || pages > UINT32_MAX) {
    return fail(LIT("Test.Grow: expected a msgpack non-negative integer"));
  }
  size_t old_pages = __builtin_wasm_memory_grow(0, (size_t)pages);
  return reply(encode_int(old_pages == (size_t)-1 ? -1 : (int64_t)old_pages));
}

static int32_t test_log(bytes_t msg) {
  console_log(msg.ptr, msg.len);
  return reply(LIT(""));
}

// Calls Test.Echo on the actor whose call alias is wasmcloud-ts/other.
static int32_t test_call_alias(bytes_t msg) {
  bytes_t answer;
  if (!host_call(LIT("wasmcloud-ts/other"), LIT("Test.Echo"), msg, &answer)) return fail(answer);
  return reply(answer);
}

// --- The operations (__guest_call in wasmbus-guest.h hands each request here) -------------

typedef struct {
  bytes_t name;
  int32_t (*handle)(bytes_t msg);
} operation_t;

static const operation_t operations[] = {
    {LIT("HttpServer.HandleRequest"), handle_request},
    {LIT("Test.Echo"), test_echo},
    {LIT("Test.Loop"), test_loop},
    {LIT("Test.Trap"), test_trap},
    {LIT("Test.Grow"), test_grow},
    {LIT("Test.Log"), test_log},
    {LIT("Test.CallAlias"), test_call_alias},
};

static int32_t dispatch(bytes_t op, bytes_t msg) {
  for (size_t i = 0; i < sizeof operations / sizeof operations[0]; i++) {
    if (bytes_equal(op, operations[i].name)) return operations[i].handle(msg);
  }
  return fail(concat(LIT("unknown operation: "), op));
}
