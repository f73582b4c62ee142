// The yield-point rewriter (host/runtime/yield-points.ts) and its instruction decoder: every module
// the repository builds (the wasmbus modules, and the core modules inside the components) comes
// out valid with the same imports plus ours and the same exports; modules written in WAT for each
// feature (reference types, tail calls, SIMD, threads, bulk memory, both kinds of exception
// handling, GC, multi-memory, names) behave the same before and after; the yield import is called
// once per FUEL points; what the decoder does not know is refused, naming it.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, print } from '@bytecodealliance/jco';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { describe, expect, it } from 'vitest';
import { WasmDecodeError } from '../../host/runtime/wasm-reader.ts';
import { WasmbusInstance } from '../../host/runtime/wasmbus-instance.ts';
import { addYieldPoints, YIELD_MODULE, YIELD_NAME } from '../../host/runtime/yield-points.ts';
import { encodePayload } from '../../lattice/payload.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';

const BUILD_DIR = join(REPO_ROOT, 'actors', 'build');
const builtModules = readdirSync(BUILD_DIR).filter(
  (name) => name.endsWith('.wasm') && !name.endsWith('_s.wasm'),
);

const describeImports = (module: WebAssembly.Module) =>
  WebAssembly.Module.imports(module).map(({ module: from, name, kind }) => `${from}.${name}:${kind}`);
const describeExports = (module: WebAssembly.Module) =>
  WebAssembly.Module.exports(module).map(({ name, kind }) => `${name}:${kind}`);

/**
 * Checks the rewrite of `bytes`: valid, the same exports, the same imports and ours after them.
 * A module without code comes back as it was. Says whether the module had code.
 */
function expectSameInterface(bytes: Uint8Array): boolean {
  const rewritten = addYieldPoints(bytes);
  expect(WebAssembly.validate(Uint8Array.from(rewritten))).toBe(true);
  const before = new WebAssembly.Module(Uint8Array.from(bytes));
  if (rewritten === bytes) {
    expect(before).toBeDefined();
    return false;
  }
  const after = new WebAssembly.Module(Uint8Array.from(rewritten));
  expect(describeExports(after)).toEqual(describeExports(before));
  // Ours is appended to the import section: after every import there was.
  expect(describeImports(after)).toEqual([
    ...describeImports(before),
    `${YIELD_MODULE}.${YIELD_NAME}:function`,
  ]);
  return true;
}

/** A counting plain-function yield import, for calling rewritten exports directly. */
function counter() {
  const state = { calls: 0 };
  return { state, imports: { [YIELD_MODULE]: { [YIELD_NAME]: () => void state.calls++ } } };
}

async function instantiatePair(wat: string, imports: WebAssembly.Imports = {}) {
  const bytes = Uint8Array.from(await parse(wat));
  expect(WebAssembly.validate(bytes)).toBe(true);
  const yields = counter();
  const original = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
  const rewritten = new WebAssembly.Instance(new WebAssembly.Module(Uint8Array.from(addYieldPoints(bytes))), {
    ...imports,
    ...yields.imports,
  });
  return {
    original: original.exports as Record<string, (...args: number[]) => number>,
    rewritten: rewritten.exports as Record<string, (...args: number[]) => number>,
    yields: yields.state,
    bytes,
  };
}

describe('every module the repository builds', () => {
  it.each(builtModules.filter((name) => readFileSync(join(BUILD_DIR, name))[4] === 1))(
    '%s (a wasmbus module) stays valid, with the same interface',
    (name) => {
      expectSameInterface(readFileSync(join(BUILD_DIR, name)));
    },
  );

  it.each(builtModules.filter((name) => readFileSync(join(BUILD_DIR, name))[4] !== 1))(
    "%s (a component): each of jco's core modules stays valid, with the same interface",
    async (name) => {
      const transpiled = await transpileBytes(readFileSync(join(BUILD_DIR, name)), {
        name: 'actor',
        instantiation: { tag: 'async' },
      });
      const cores = Object.entries(transpiled.files).filter(([file]) => file.endsWith('.wasm'));
      const withCode = cores.filter(([, core]) => expectSameInterface(core));
      expect(withCode.length).toBeGreaterThan(0);
    },
    120_000,
  );

  it('wasmbus-echo answers the same bytes before and after', async () => {
    const bytes = readFileSync(join(BUILD_DIR, 'wasmbus-echo.wasm'));
    const context = {
      actorId: 'MTEST',
      caps: new Set<string>(),
      hostCall: () => Promise.reject(new Error('no host calls here')),
      log: () => undefined,
    };
    const request = encodePayload({
      method: 'POST',
      path: '/a/"quoted"\n',
      query_string: 'x=1&y=ü',
      header: {},
      body: Uint8Array.from({ length: 3000 }, (_, i) => i % 256),
    });
    const answers: string[] = [];
    for (const module of [bytes, addYieldPoints(bytes)]) {
      const instance = await WasmbusInstance.create(
        new WebAssembly.Module(Uint8Array.from(module)),
        context,
        Date.now() + 10_000,
      );
      answers.push(
        Buffer.from(await instance.invoke('HttpServer.HandleRequest', request, Date.now() + 10_000)).toString(
          'hex',
        ),
      );
    }
    expect(answers[1]).toBe(answers[0]);
    expect(answers[0]!.length).toBeGreaterThan(3000);
  });

  it('wasmbus-loop computes the same results, yielding on the way', async () => {
    const bytes = readFileSync(join(BUILD_DIR, 'wasmbus-loop.wasm'));
    const context = {
      actorId: 'MTEST',
      caps: new Set<string>(),
      hostCall: () => Promise.reject(new Error('no host calls here')),
      log: () => undefined,
    };
    const instance = await WasmbusInstance.create(
      new WebAssembly.Module(Uint8Array.from(addYieldPoints(bytes))),
      context,
      Date.now() + 10_000,
    );
    let x = 1;
    for (let i = 0; i < 3_000_000; i++) x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const spin = await instance.invoke('Loop.Spin', Buffer.from('3000000'), Date.now() + 10_000);
    expect(Buffer.from(spin).toString()).toBe(String(x));
    const fib = await instance.invoke('Loop.Fib', Buffer.from('25'), Date.now() + 10_000);
    expect(Buffer.from(fib).toString()).toBe('75025');
  });
});

describe('modules of each feature behave the same', () => {
  it('calls, tables, ref.func, tail calls, the start function, imports and names keep their targets', async () => {
    const wat = `(module
      (type $t (func (param i32) (result i32)))
      (import "env" "add10" (func $add10 (param i32) (result i32)))
      (import "env" "base" (global $base i32))
      (table $tab 4 funcref)
      (global $started (mut i32) (i32.const 0))
      (global $fref funcref (ref.func $triple))
      (elem (table $tab) (i32.const 0) func $double $triple)
      (elem (table $tab) (i32.const 2) funcref (ref.func $inc) (ref.null func))
      (elem declare func $inc)
      (start $init)
      (func $init (global.set $started (i32.const 7)))
      (func $double (type $t) (i32.mul (local.get 0) (i32.const 2)))
      (func $triple (type $t) (i32.mul (local.get 0) (i32.const 3)))
      (func $inc (type $t) (i32.add (local.get 0) (i32.const 1)))
      (func $tail (param i32) (result i32) (return_call $double (local.get 0)))
      (func (export "run") (param $x i32) (result i32)
        (i32.add
          (i32.add
            (i32.add (call $double (local.get $x)) (call_indirect (type $t) (local.get $x) (i32.const 1)))
            (i32.add (call_ref $t (local.get $x) (ref.func $inc)) (call $tail (local.get $x))))
          (i32.add
            (i32.add (call $add10 (local.get $x)) (global.get $started))
            (i32.add (call_ref $t (local.get $x) (ref.cast (ref $t) (global.get $fref)))
                     (call_indirect (type $t) (global.get $base) (i32.const 2))))))
      (func (export "sum") (param $n i32) (result i32)
        (local $i i32)
        (i32.const 0)
        (loop $l (param i32) (result i32)
          (i32.add (local.get $i))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))))`;
    const env = { env: { add10: (x: number) => x + 10, base: new WebAssembly.Global({ value: 'i32' }, 5) } };
    const pair = await instantiatePair(wat, env);
    for (const x of [0, 1, 7, 1000]) expect(pair.rewritten.run!(x)).toBe(pair.original.run!(x));
    expect(pair.rewritten.run!(7)).toBe(14 + 21 + 8 + 14 + 17 + 7 + 21 + 6);
    expect(pair.rewritten.sum!(100_000)).toBe(pair.original.sum!(100_000));
    // The names section follows the renumbering: $double is still the function `run` calls first.
    const text = await print(Uint8Array.from(addYieldPoints(pair.bytes)));
    expect(text).toMatch(/\(import "wasmcloud_ts" "yield" \(func \(;1;\)/);
    expect(text).toMatch(/\(func \$double \(;\d+;\)/);
    expect(text).toMatch(/call \$double/);
    expect(text).toMatch(/return_call \$double/);
    expect(text).toMatch(/\(elem \(;0;\) \(table \$tab\) \(i32\.const 0\) func \$double \$triple\)/);
  });

  it('calls the yield import once per FUEL yield points: loop headers and entries of functions that call', async () => {
    const wat = `(module
      (func $leaf (export "leaf") (result i32) (i32.const 1))
      (func $countdown (export "countdown") (param $n i32) (result i32)
        (if (result i32) (i32.eqz (local.get $n))
          (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $countdown (i32.sub (local.get $n) (i32.const 1)))))))
      (func (export "spin") (param $n i32) (result i32)
        (local $i i32)
        (loop $l
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $i))
      (func (export "calls") (param $n i32) (result i32)
        (local $i i32) (local $s i32)
        (block $done
          (loop $l
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $s (i32.add (local.get $s) (call $leaf)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $l)))
        (local.get $s)))`;
    const bytes = await parse(wat);
    const yields = counter();
    const fuel = 100;
    const instance = new WebAssembly.Instance(
      new WebAssembly.Module(Uint8Array.from(addYieldPoints(bytes, fuel))),
      yields.imports,
    );
    const exports = instance.exports as Record<string, (n: number) => number>;
    // A function that neither loops nor calls has no yield point.
    for (let i = 0; i < 1000; i++) exports.leaf!(0);
    expect(yields.state.calls).toBe(0);
    // 100,000 loop iterations, and no entry point: spin calls nothing.
    expect(exports.spin!(100_000)).toBe(100_000);
    expect(yields.state.calls).toBe(100_000 / fuel);
    yields.state.calls = 0;
    // 50,001 loop headers and the entry of `calls` ($leaf has none): fuel carried over from spin.
    expect(exports.calls!(50_000)).toBe(50_000);
    expect(yields.state.calls).toBe(Math.floor(50_002 / fuel));
    yields.state.calls = 0;
    // Recursion, no loop: one point per entry.
    expect(exports.countdown!(3_000)).toBe(3_000);
    expect(Math.abs(yields.state.calls - 3_001 / fuel)).toBeLessThanOrEqual(1);
  });

  it('SIMD and relaxed SIMD', async () => {
    const pair = await instantiatePair(`(module
      (memory 1)
      (data (i32.const 0) "\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f\\10")
      (func (export "simd") (param $i i32) (result i32)
        (local $v v128)
        (local.set $v (v128.load offset=0 align=16 (i32.const 0)))
        (loop $l
          (local.set $v (i8x16.shuffle 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0
            (i32x4.add (local.get $v) (v128.const i32x4 1 2 3 4)) (local.get $v)))
          (local.set $v (v128.load8_lane 3 (i32.const 5) (local.get $v)))
          (local.set $v (i32x4.replace_lane 2 (local.get $v) (local.get $i)))
          (local.set $i (i32.sub (local.get $i) (i32.const 1)))
          (br_if $l (i32.gt_s (local.get $i) (i32.const 0))))
        (v128.store32_lane 1 (i32.const 32) (local.get $v))
        (i32.add
          (i32.add (i32x4.extract_lane 0 (local.get $v)) (i8x16.extract_lane_u 7 (local.get $v)))
          (i32.add (i32.load (i32.const 32))
            (i32x4.extract_lane 1 (i32x4.relaxed_laneselect (local.get $v) (v128.const i32x4 9 9 9 9)
              (v128.const i32x4 -1 0 -1 0)))))))`);
    for (const n of [1, 5, 1000]) expect(pair.rewritten.simd!(n)).toBe(pair.original.simd!(n));
  });

  it('threads (atomics on shared memory)', async () => {
    const pair = await instantiatePair(`(module
      (memory 1 1 shared)
      (func (export "atomics") (param $n i32) (result i32)
        (loop $l
          (drop (i32.atomic.rmw.add (i32.const 8) (i32.const 3)))
          (atomic.fence)
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $l (local.get $n)))
        (drop (memory.atomic.notify (i32.const 8) (i32.const 0)))
        (i64.atomic.store offset=16 (i32.const 0) (i64.const 5))
        (i32.add (i32.atomic.load (i32.const 8)) (i32.wrap_i64 (i64.atomic.load offset=16 (i32.const 0))))))`);
    expect(pair.rewritten.atomics!(10)).toBe(35);
    expect(pair.original.atomics!(10)).toBe(35);
  });

  it('bulk memory and tables, saturating truncation, sign extension', async () => {
    const pair = await instantiatePair(`(module
      (memory 1)
      (table 2 funcref)
      (data $d "abcdefgh")
      (elem $e func $one $two)
      (func $one (result i32) (i32.const 1))
      (func $two (result i32) (i32.const 2))
      (func (export "bulk") (param $x i32) (result i32)
        (memory.init $d (i32.const 100) (i32.const 0) (i32.const 8))
        (data.drop $d)
        (memory.copy (i32.const 200) (i32.const 100) (i32.const 8))
        (memory.fill (i32.const 204) (local.get $x) (i32.const 2))
        (table.init $e (i32.const 0) (i32.const 0) (i32.const 2))
        (elem.drop $e)
        (drop (table.grow (ref.null func) (i32.const 1)))
        (i32.add
          (i32.add (i32.load (i32.const 200)) (i32.load (i32.const 204)))
          (i32.add
            (i32.add (call_indirect (result i32) (i32.const 1)) (table.size))
            (i32.add (i32.trunc_sat_f32_s (f32.const 1e20)) (i32.extend8_s (local.get $x)))))))`);
    // A data and elem segment can be used once per instance: one call each.
    expect(pair.rewritten.bulk!(200)).toBe(pair.original.bulk!(200));
  });

  it('exception handling, the new kind and the legacy kind', async () => {
    const pair = await instantiatePair(`(module
      (tag $e (param i32))
      (func $thrower (param i32) (loop $l (throw $e (local.get 0))))
      (func (export "caught") (param $x i32) (result i32)
        (block $h (result i32)
          (try_table (catch $e $h) (call $thrower (local.get $x)))
          (i32.const -1)))
      (func (export "caughtRef") (param $x i32) (result i32)
        (block $h (result i32 exnref)
          (try_table (catch_ref $e $h) (call $thrower (local.get $x)))
          (return (i32.const -1)))
        (drop))
      (func (export "legacy") (param $x i32) (result i32)
        try (result i32)
          local.get $x
          call $thrower
          i32.const -1
        catch $e
          i32.const 100
          i32.add
        catch_all
          i32.const -2
        end))`);
    for (const name of ['caught', 'caughtRef', 'legacy']) {
      expect(pair.rewritten[name]!(42)).toBe(pair.original[name]!(42));
    }
    expect(pair.rewritten.legacy!(1)).toBe(101);
  });

  it('GC: structs, arrays, casts and i31; recursion groups count their types', async () => {
    // The rec group is one entry of three types: the import's type must be numbered after all of them.
    const pair = await instantiatePair(`(module
      (rec
        (type $node (sub (struct (field (ref null $tree)))))
        (type $leaf (sub final $node (struct (field (ref null $tree)) (field i8))))
        (type $tree (array (mut (ref null $node)))))
      (type $point (struct (field $x (mut i32)) (field $y i32)))
      (type $vec (array (mut i32)))
      (func (export "gc") (param $n i32) (result i32)
        (local $p (ref $point)) (local $a (ref $vec)) (local $any anyref)
        (local.set $p (struct.new $point (i32.const 1) (i32.const 2)))
        (local.set $a (array.new $vec (i32.const 3) (local.get $n)))
        (loop $l
          (struct.set $point $x (local.get $p) (i32.add (struct.get $point $x (local.get $p)) (i32.const 1)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $l (local.get $n)))
        (local.set $any (ref.i31 (i32.const 9)))
        (i32.add
          (i32.add (struct.get $point $x (local.get $p)) (array.len (local.get $a)))
          (i32.add
            (array.get $vec (array.new_fixed $vec 2 (i32.const 4) (i32.const 5)) (i32.const 1))
            (block $no (result anyref)
              (br_on_cast_fail $no anyref (ref i31) (local.get $any))
              (return (i32.add (i31.get_s) (i32.const 1000))))
            (drop)
            (i32.const 0)))))`);
    for (const n of [1, 10]) expect(pair.rewritten.gc!(n)).toBe(pair.original.gc!(n));
  });

  it('multi-memory', async () => {
    const pair = await instantiatePair(`(module
      (memory $a 1)
      (memory $b 1)
      (func (export "copy") (param $x i32) (result i32)
        (i32.store $b offset=4 (i32.const 0) (local.get $x))
        (memory.copy $a $b (i32.const 8) (i32.const 4) (i32.const 4))
        (i32.add (i32.load $a (i32.const 8)) (memory.size $b))))`);
    expect(pair.rewritten.copy!(41)).toBe(42);
  });
});

describe('what the rewriter refuses', () => {
  /** A module of one function whose body is `body` (hex), for decoder tests. */
  function moduleWithBody(body: string): Uint8Array {
    const code = Buffer.from(`00${body}0b`, 'hex');
    const entry = Buffer.concat([Buffer.from([code.length]), code]);
    return Buffer.concat([
      Buffer.from('0061736d01000000', 'hex'),
      Buffer.from('010401600000', 'hex'), // type section: () -> ()
      Buffer.from('03020100', 'hex'), // function section
      Buffer.from([0x0a, entry.length + 1, 0x01]),
      entry,
    ]);
  }

  it('an instruction it does not know, naming it and where', () => {
    expect(() => addYieldPoints(moduleWithBody('fc20'))).toThrow(WasmDecodeError);
    expect(() => addYieldPoints(moduleWithBody('fc20'))).toThrow(
      /instruction 0xfc 32 is not one this host can decode \(at byte 23\)/,
    );
    expect(() => addYieldPoints(moduleWithBody('e0'))).toThrow(/instruction 0xe0 is not one/);
    expect(() => addYieldPoints(moduleWithBody('fd9402'))).toThrow(/instruction 0xfd 276 is not one/);
  });

  it('a body cut short', () => {
    expect(() => addYieldPoints(moduleWithBody('fc0a'))).toThrow(/unexpected end of the section/);
    expect(() => addYieldPoints(moduleWithBody('41'))).toThrow(/a function body does not end with `end`/);
  });

  it("a module importing from the host's own namespace", async () => {
    const bytes = await parse(`(module (import "${YIELD_MODULE}" "yield" (func)) (func))`);
    expect(() => addYieldPoints(bytes)).toThrow(/imports from wasmcloud_ts, the host's own namespace/);
  });

  it('accepts the smallest module (no imports, no globals): it adds the sections', () => {
    const bytes = moduleWithBody('01');
    const rewritten = addYieldPoints(bytes);
    expect(WebAssembly.validate(Uint8Array.from(rewritten))).toBe(true);
    expect(describeImports(new WebAssembly.Module(Uint8Array.from(rewritten)))).toEqual([
      `${YIELD_MODULE}.${YIELD_NAME}:function`,
    ]);
  });
});
