// kvcounter — a WebAssembly component in freestanding C (no libc, no WASI).
//
// Each HTTP request increments the key `counter` through wasmcloud:keyvalue and answers
// {"counter":N} as JSON. There is no C binding generator here, so the canonical ABI
// (component model, utf8 strings) is written out by hand below; every struct that crosses
// the boundary has its layout checked with _Static_assert against the ABI's offsets.

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

// --- Canonical ABI types (wasm32: pointers and lengths are 4 bytes) -----------------------

// string / list<T>: (ptr, len), size 8, align 4. Lengths count bytes for utf8 strings and
// elements for lists.
typedef struct {
  const char *ptr;
  size_t len;
} string_t;

typedef struct {
  const uint8_t *ptr;
  size_t len;
} bytes_t;

typedef struct {
  const string_t *ptr;
  size_t len;
} string_list_t;

// tuple<string, list<string>>: one header-map entry. name @0, values @8, size 16.
typedef struct {
  string_t name;
  string_list_t values;
} header_entry_t;

typedef struct {
  const header_entry_t *ptr;
  size_t len;
} header_map_t;

// record http-response { status-code: u16, header: header-map, body: list<u8> }
// status-code @0 (u16, then 2 bytes padding), header @4, body @12; size 20, align 4.
typedef struct {
  uint16_t status_code;
  header_map_t header;
  bytes_t body;
} http_response_t;

// result<http-response, string>: discriminant u8 @0 (0 = ok, 1 = err), payload @4 (the
// largest payload alignment); size 4 + 20 = 24.
typedef struct {
  uint8_t is_err;
  union {
    http_response_t ok;
    string_t err;
  } val;
} handle_result_t;

// result<s32, string>: discriminant u8 @0, payload @4 (s32, or the string's ptr @4 len @8).
typedef struct {
  uint8_t is_err;
  union {
    int32_t ok;
    string_t err;
  } val;
} increment_result_t;

_Static_assert(sizeof(string_t) == 8, "string is (ptr, len)");
_Static_assert(sizeof(header_entry_t) == 16 && offsetof(header_entry_t, values) == 8, "tuple layout");
_Static_assert(offsetof(http_response_t, header) == 4, "http-response.header @4");
_Static_assert(offsetof(http_response_t, body) == 12, "http-response.body @12");
_Static_assert(sizeof(http_response_t) == 20, "http-response size");
_Static_assert(offsetof(handle_result_t, val) == 4 && sizeof(handle_result_t) == 24, "result layout");
_Static_assert(offsetof(increment_result_t, val) == 4 && sizeof(increment_result_t) == 12, "result layout");

// --- Imports ------------------------------------------------------------------------------

// increment: func(key: string, value: s32) -> result<s32, string>. The result flattens to
// 3 values (> 1), so the caller passes a return pointer as the last parameter.
__attribute__((import_module("wasmcloud:keyvalue/key-value@0.1.0"), import_name("increment")))
extern void kv_increment(const char *key, size_t key_len, int32_t value, increment_result_t *ret);

// write-log: func(level: string, text: string)
__attribute__((import_module("wasmcloud:builtin/logging@0.1.0"), import_name("write-log")))
extern void write_log(const char *level, size_t level_len, const char *text, size_t text_len);

// --- Memory: the bump arena (arena.h), reset after each call ------------------------------

// The host allocates arguments (and strings returned by imports) through this.
__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old_ptr, size_t old_size, size_t align, size_t new_size) {
  // An empty string or list: any aligned non-null pointer will do; it is never read.
  if (new_size == 0) return (void *)align;
  void *ptr = arena_alloc(new_size, align);
  if (old_ptr != NULL) __builtin_memcpy(ptr, old_ptr, old_size < new_size ? old_size : new_size);
  return ptr;
}

// --- Helpers ------------------------------------------------------------------------------

#define STR(literal) ((string_t){literal, sizeof(literal) - 1})

static string_t concat(string_t a, string_t b) {
  char *out = arena_alloc(a.len + b.len, 1);
  __builtin_memcpy(out, a.ptr, a.len);
  __builtin_memcpy(out + a.len, b.ptr, b.len);
  return (string_t){out, a.len + b.len};
}

// Decimal text of a signed 32-bit integer, in the arena.
static string_t format_i32(int32_t value) {
  char digits[11];  // "2147483648" plus a sign
  size_t n = 0;
  uint32_t magnitude = value < 0 ? 0u - (uint32_t)value : (uint32_t)value;
  do {
    digits[n++] = (char)('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  if (value < 0) digits[n++] = '-';
  char *out = arena_alloc(n, 1);
  for (size_t i = 0; i < n; i++) out[i] = digits[n - 1 - i];
  return (string_t){out, n};
}

static void log_line(string_t level, string_t text) { write_log(level.ptr, level.len, text.ptr, text.len); }

// --- The export ---------------------------------------------------------------------------

// The header every response carries, as static data the host only reads.
static const string_t json_type[] = {{"application/json", 16}};
static const header_entry_t response_header[] = {{{"content-type", 12}, {json_type, 1}}};

// The return area: results that flatten to more than one value are returned by pointer.
static handle_result_t result;

static handle_result_t *answer_counter(int32_t counter) {
  string_t number = format_i32(counter);
  string_t body = concat(concat(STR("{\"counter\":"), number), STR("}"));
  log_line(STR("info"), concat(STR("kvcounter: counter is now "), number));
  result.is_err = 0;
  result.val.ok = (http_response_t){
    .status_code = 200,
    .header = {response_header, 1},
    .body = {(const uint8_t *)body.ptr, body.len},
  };
  return &result;
}

static handle_result_t *answer_error(string_t error) {
  string_t message = concat(STR("kvcounter: "), error);
  log_line(STR("error"), message);
  result.is_err = 1;
  result.val.err = message;
  return &result;
}

// handle-request: func(request: http-request) -> result<http-response, string>
// record http-request { method: string, path: string, query-string: string,
//                       header: header-map, body: list<u8> }
// flattens to 10 i32 parameters (<= 16, so no pointer to the record): the five fields as
// (ptr, len) pairs in order. In memory the header map's entries are header_entry_t.
// The request itself does not matter to a counter.
__attribute__((export_name("wasmcloud:httpserver/handler@0.1.0#handle-request")))
handle_result_t *handle_request(const char *method, size_t method_len, const char *path, size_t path_len,
                                const char *query_string, size_t query_string_len,
                                const header_entry_t *header, size_t header_len, const uint8_t *body,
                                size_t body_len) {
  static const string_t key = {"counter", 7};
  increment_result_t incremented;
  kv_increment(key.ptr, key.len, 1, &incremented);
  if (incremented.is_err) return answer_error(incremented.val.err);
  return answer_counter(incremented.val.ok);
}

// Called by the host once it has read the result: everything in the arena (arguments,
// strings from imports, the response body) is dead now.
__attribute__((export_name("cabi_post_wasmcloud:httpserver/handler@0.1.0#handle-request")))
void handle_request_post_return(handle_result_t *ret) {
  (void)ret;
  arena_reset();
}
