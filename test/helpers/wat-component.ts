// A hand-written component exporting wasmcloud:actor/handler `handle(operation, payload)`,
// built in-process from WAT: operation "loop" spins forever, "trap" hits unreachable,
// "fail" answers err("failed"), anything else echoes the payload (with `loopOnHttp`, the 24-byte
// "HttpServer.HandleRequest" spins forever too). For the runtime's tests of components that misbehave.

import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco';

const WIT = `
package test:misbehave;
world misbehave {
  export wasmcloud:actor/handler@0.1.0;
}
package wasmcloud:actor@0.1.0 {
  interface handler {
    handle: func(operation: string, payload: list<u8>) -> result<list<u8>, string>;
  }
}
`;

// handle(op_ptr, op_len, payload_ptr, payload_len) -> ptr to result<list<u8>, string>:
// byte 0 = tag (0 ok, 1 err), then (ptr, len) at 4 and 8.
/** Spins on any 24-byte operation starting "Http" (0x70747448): HttpServer.HandleRequest. */
const LOOP_ON_HTTP = `
    (if (i32.and (i32.eq (local.get $oplen) (i32.const 24)) (i32.eq (i32.load (local.get $op)) (i32.const 0x70747448)))
      (then (loop $spin (br $spin))))`;

const wat = (loopOnHttp: boolean) => `
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "failed")
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $at i32)
    (if (i32.eqz (local.get 3)) (then (return (local.get 2))))
    (local.set $at (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get 3)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.const 16)))))
    (local.get $at))
  (func $is (param $ptr i32) (param $len i32) (param $word i32) (param $wordlen i32) (result i32)
    (if (i32.ne (local.get $len) (local.get $wordlen)) (then (return (i32.const 0))))
    (i32.eq (i32.load (local.get $ptr)) (local.get $word)))
  (func (export "wasmcloud:actor/handler@0.1.0#handle") (param $op i32) (param $oplen i32) (param $p i32) (param $plen i32) (result i32)
    ;; "loop" = 0x706f6f6c, "trap" = 0x70617274, "fail" = 0x6c696166 (little-endian words)
    (if (call $is (local.get $op) (local.get $oplen) (i32.const 0x706f6f6c) (i32.const 4))
      (then (loop $forever (br $forever))))${loopOnHttp ? LOOP_ON_HTTP : ''}
    (if (call $is (local.get $op) (local.get $oplen) (i32.const 0x70617274) (i32.const 4))
      (then unreachable))
    (if (call $is (local.get $op) (local.get $oplen) (i32.const 0x6c696166) (i32.const 4))
      (then
        (i32.store8 (i32.const 0) (i32.const 1))
        (i32.store (i32.const 4) (i32.const 16))
        (i32.store (i32.const 8) (i32.const 6))
        (return (i32.const 0))))
    (i32.store8 (i32.const 0) (i32.const 0))
    (i32.store (i32.const 4) (local.get $p))
    (i32.store (i32.const 8) (local.get $plen))
    (i32.const 0))
)`;

export async function misbehavingComponent(options: { loopOnHttp?: boolean } = {}): Promise<Uint8Array> {
  const core = await parse(wat(options.loopOnHttp ?? false));
  const embedded = await componentEmbed({
    binary: core,
    witSource: WIT,
    world: 'misbehave',
    stringEncoding: 'utf8',
  });
  return componentNew(embedded);
}
