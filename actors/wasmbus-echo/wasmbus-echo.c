// wasmbus-echo — the echo actor (actors/echo) as a 2022 wasmbus module in freestanding C.
//
// HttpServer.HandleRequest answers 200, content-type application/json, with the request as
// JSON, byte for byte what the TypeScript echo answers:
//   {"body":[104,105],"method":"POST","path":"/x","query_string":"a=1"}
// It exists for the HTTP benchmark: a component pays for a JavaScript engine on every call,
// a C module only for what it does.

#include "wasmbus-guest.h"

// --- msgpack reading: enough to find the request's members and skip the rest --------------

// A str or a bin (the Elixir host packs binaries as str): its bytes.
static int read_bytes(reader_t *r, bytes_t *out) {
  const uint8_t *tag;
  if (!take(r, 1, &tag)) return 0;
  uint8_t t = *tag;
  uint64_t n;
  if ((t & 0xe0) == 0xa0) {
    n = t & 0x1f;
  } else if (t == 0xd9 || t == 0xc4) {
    if (!read_uint(r, 1, &n)) return 0;
  } else if (t == 0xda || t == 0xc5) {
    if (!read_uint(r, 2, &n)) return 0;
  } else if (t == 0xdb || t == 0xc6) {
    if (!read_uint(r, 4, &n)) return 0;
  } else {
    return 0;
  }
  const uint8_t *p;
  if (!take(r, n, &p)) return 0;
  *out = (bytes_t){p, (size_t)n};
  return 1;
}

static int read_map_len(reader_t *r, uint64_t *out) {
  const uint8_t *tag;
  if (!take(r, 1, &tag)) return 0;
  if ((*tag & 0xf0) == 0x80) {
    *out = *tag & 0x0f;
    return 1;
  }
  if (*tag == 0xde) return read_uint(r, 2, out);
  if (*tag == 0xdf) return read_uint(r, 4, out);
  return 0;
}

static int skip(reader_t *r, int depth);

static int skip_items(reader_t *r, uint64_t count, int depth) {
  for (uint64_t i = 0; i < count; i++) {
    if (!skip(r, depth + 1)) return 0;
  }
  return 1;
}

// Skips one value of any type. Nesting is limited so hostile input cannot exhaust the stack.
static int skip(reader_t *r, int depth) {
  if (depth > 32) return 0;
  const uint8_t *tag;
  const uint8_t *p;
  uint64_t n;
  if (!take(r, 1, &tag)) return 0;
  uint8_t t = *tag;
  if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) return 1;  // ints, nil, bools
  if ((t & 0xf0) == 0x80) return skip_items(r, (uint64_t)(t & 0x0f) * 2, depth);  // fixmap
  if ((t & 0xf0) == 0x90) return skip_items(r, t & 0x0f, depth);                  // fixarray
  if ((t & 0xe0) == 0xa0) return take(r, t & 0x1f, &p);                            // fixstr
  switch (t) {
    case 0xcc: case 0xd0: return take(r, 1, &p);
    case 0xcd: case 0xd1: return take(r, 2, &p);
    case 0xce: case 0xd2: case 0xca: return take(r, 4, &p);
    case 0xcf: case 0xd3: case 0xcb: return take(r, 8, &p);
    case 0xd4: return take(r, 2, &p);  // fixext: type byte + data
    case 0xd5: return take(r, 3, &p);
    case 0xd6: return take(r, 5, &p);
    case 0xd7: return take(r, 9, &p);
    case 0xd8: return take(r, 17, &p);
    case 0xd9: case 0xc4: return read_uint(r, 1, &n) && take(r, n, &p);
    case 0xda: case 0xc5: return read_uint(r, 2, &n) && take(r, n, &p);
    case 0xdb: case 0xc6: return read_uint(r, 4, &n) && take(r, n, &p);
    case 0xc7: return read_uint(r, 1, &n) && take(r, n + 1, &p);
    case 0xc8: return read_uint(r, 2, &n) && take(r, n + 1, &p);
    case 0xc9: return read_uint(r, 4, &n) && take(r, n + 1, &p);
    case 0xdc: return read_uint(r, 2, &n) && skip_items(r, n, depth);
    case 0xdd: return read_uint(r, 4, &n) && skip_items(r, n, depth);
    case 0xde: return read_uint(r, 2, &n) && skip_items(r, n * 2, depth);
    case 0xdf: return read_uint(r, 4, &n) && skip_items(r, n * 2, depth);
    default: return 0;  // 0xc1 is never used
  }
}

// --- JSON writing, escaping as JavaScript's JSON.stringify does ---------------------------

static void put_decimal_byte(writer_t *w, uint8_t value) {
  if (value >= 100) put_byte(w, (uint8_t)('0' + value / 100));
  if (value >= 10) put_byte(w, (uint8_t)('0' + value / 10 % 10));
  put_byte(w, (uint8_t)('0' + value % 10));
}

// A JSON string; at most 6 output bytes per input byte plus the quotes.
static void put_json_string(writer_t *w, bytes_t text) {
  static const char hex[] = "0123456789abcdef";
  put_byte(w, '"');
  for (size_t i = 0; i < text.len; i++) {
    uint8_t c = text.ptr[i];
    if (c == '"' || c == '\\') {
      put_byte(w, '\\');
      put_byte(w, c);
    } else if (c >= 0x20) {
      put_byte(w, c);
    } else if (c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
      put_byte(w, '\\');
      put_byte(w, c == '\b' ? 'b' : c == '\f' ? 'f' : c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
    } else {
      put_bytes(w, LIT("\\u00"));
      put_byte(w, (uint8_t)hex[c >> 4]);
      put_byte(w, (uint8_t)hex[c & 0x0f]);
    }
  }
  put_byte(w, '"');
}

// --- HttpServer.HandleRequest -------------------------------------------------------------

typedef struct {
  bytes_t method, path, query, body;
} request_t;

static int read_request(bytes_t msg, request_t *out) {
  reader_t r = {msg.ptr, msg.len, 0};
  uint64_t members;
  *out = (request_t){{0, 0}, {0, 0}, {0, 0}, {0, 0}};
  if (!read_map_len(&r, &members)) return 0;
  for (uint64_t i = 0; i < members; i++) {
    bytes_t key;
    if (!read_bytes(&r, &key)) return 0;
    bytes_t *field = bytes_equal(key, LIT("method"))        ? &out->method
                     : bytes_equal(key, LIT("path"))        ? &out->path
                     : bytes_equal(key, LIT("queryString")) ? &out->query
                     : bytes_equal(key, LIT("body"))        ? &out->body
                                                            : 0;
    if (field ? !read_bytes(&r, field) : !skip(&r, 0)) return 0;
  }
  return r.pos == r.len;
}

// HttpResponse {"statusCode": 200, "header": {"content-type": ["application/json"]}, "body": bin}
// with the JSON written straight into the bin (always bin32, so its header size is known).
static const uint8_t response_head[] = {
    0x83,                                                             // map of 3
    0xaa, 's', 't', 'a', 't', 'u', 's', 'C', 'o', 'd', 'e', 0xcc, 200,  // "statusCode": 200
    0xa6, 'h', 'e', 'a', 'd', 'e', 'r', 0x81,                         // "header": map of 1
    0xac, 'c', 'o', 'n', 't', 'e', 'n', 't', '-', 't', 'y', 'p', 'e', 0x91,  // "content-type": [
    0xb0, 'a', 'p', 'p', 'l', 'i', 'c', 'a', 't', 'i', 'o', 'n', '/', 'j', 's', 'o', 'n',
    0xa4, 'b', 'o', 'd', 'y', 0xc6,                                   // "body": bin32
};

static int32_t handle_request(bytes_t msg) {
  request_t request;
  if (!read_request(msg, &request)) return fail(LIT("wasmbus-echo: the HttpRequest is not valid msgpack"));
  uint64_t bound = sizeof response_head + 4 + 64 + (uint64_t)request.body.len * 4 +
                   ((uint64_t)request.method.len + request.path.len + request.query.len) * 6;
  writer_t w = {arena_alloc(bound, 1), 0};
  put_bytes(&w, (bytes_t){response_head, sizeof response_head});
  size_t length_at = w.len;
  w.len += 4;
  size_t json_start = w.len;
  put_bytes(&w, LIT("{\"body\":["));
  for (size_t i = 0; i < request.body.len; i++) {
    if (i > 0) put_byte(&w, ',');
    put_decimal_byte(&w, request.body.ptr[i]);
  }
  put_bytes(&w, LIT("],\"method\":"));
  put_json_string(&w, request.method);
  put_bytes(&w, LIT(",\"path\":"));
  put_json_string(&w, request.path);
  put_bytes(&w, LIT(",\"query_string\":"));
  put_json_string(&w, request.query);
  put_byte(&w, '}');
  uint32_t json_len = (uint32_t)(w.len - json_start);
  for (int i = 0; i < 4; i++) w.data[length_at + i] = (uint8_t)(json_len >> (24 - 8 * i));
  return reply((bytes_t){w.data, w.len});
}

// --- The operations (__guest_call in wasmbus-guest.h hands each request here) -------------

static int32_t dispatch(bytes_t op, bytes_t msg) {
  if (bytes_equal(op, LIT("HttpServer.HandleRequest"))) return handle_request(msg);
  return fail(concat(LIT("wasmbus-echo: unknown operation "), op));
}
