// Pre-initialization in this process, in place of the wizer executable componentize-js runs: the
// engine module is compiled once by V8 and kept; each build instantiates it, runs its `_initialize`
// and init function (StarlingMonkey reading the actor's JS through WASI), then writes a module whose
// memory and mutable globals start where the init left them, as wizer does (same export removals,
// same memory size). A fresh wizer process costs 1.2–2.3 s per build here (loading wasmtime's
// cached machine code for the 10 MB engine, then running it); this costs the init itself. Modules
// this does not handle (imported memories or globals, passive data, a start function, non-numeric
// mutable globals) throw SnapshotUnsupportedError so the caller can use wizer instead.

import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { encodeU32Leb, readU32Leb, wasmSections } from '../../lattice/wasm.ts';
import { WashError } from '../errors.ts';

/** Runs `make` with node:wasi's one-time "experimental" warning left out (WASI runs builds only). */
async function withoutWasiWarning<T>(make: () => T | Promise<T>): Promise<T> {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: never[]) => {
    if (!String(warning).includes('WASI')) emitWarning.call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return await make();
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** The module is outside what this snapshotter handles; wizer can still do it. */
export class SnapshotUnsupportedError extends WashError {
  constructor(what: string, options?: ErrorOptions) {
    super('WASH_SNAPSHOT_UNSUPPORTED', what, options);
  }
}

/** The init ran and failed (a trap, a non-zero exit): what it wrote to stderr says why. */
export class SnapshotInitError extends WashError {
  constructor(message: string, options?: ErrorOptions) {
    super('WASH_BUILD_FAILED', message, options);
  }
}

const SECTION = { memory: 5, global: 6, export: 7, start: 8, data: 11, dataCount: 12 } as const;
const GLOBAL_EXPORT_PREFIX = '__snapshot_global_';
/** Zero runs shorter than this stay inside a data segment: a new segment costs ~8 bytes. */
const SEGMENT_GAP = 16;
const MAX_SEGMENTS = 10_000;
const WASM_MODULE_HEADER = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);

class Cursor {
  readonly bytes: Uint8Array;
  pos: number;
  constructor(bytes: Uint8Array, start: number) {
    this.bytes = bytes;
    this.pos = start;
  }
  u8(): number {
    const byte = this.bytes[this.pos++];
    if (byte === undefined) throw new SnapshotUnsupportedError('truncated module');
    return byte;
  }
  u32(): number {
    const { value, next } = readU32Leb(this.bytes, this.pos);
    this.pos = next;
    return value;
  }
  /** Skips a LEB128 of any width (s32, s64). */
  leb(): void {
    while ((this.u8() & 0x80) !== 0);
  }
  name(): string {
    const length = this.u32();
    const text = Buffer.from(this.bytes.subarray(this.pos, this.pos + length)).toString('utf8');
    this.pos += length;
    return text;
  }
}

interface Section {
  id: number;
  /** The section's content (after the id and size). */
  content: Uint8Array;
}

function sectionsOf(bytes: Uint8Array): Section[] {
  return wasmSections(bytes).sections.map(({ id, start, end }) => {
    const { next } = readU32Leb(bytes, start + 1);
    return { id, content: bytes.subarray(next, end) };
  });
}

/** A section as its header (id and size) and content, so large contents are copied only once. */
function encodeSection(id: number, content: Uint8Array): Uint8Array[] {
  return [Uint8Array.of(id, ...encodeU32Leb(content.length)), content];
}

function encodeName(name: string): Uint8Array {
  const bytes = Buffer.from(name, 'utf8');
  return Buffer.concat([Uint8Array.from(encodeU32Leb(bytes.length)), bytes]);
}

/** Signed LEB128 of a bigint (i32.const and i64.const immediates). */
function encodeSleb(input: bigint): number[] {
  const out: number[] = [];
  let value = input;
  for (;;) {
    const byte = Number(value & 0x7fn);
    value >>= 7n;
    const done = (value === 0n && (byte & 0x40) === 0) || (value === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

interface ExportEntry {
  name: string;
  /** The entry's encoded bytes, copied as they were. */
  raw: Uint8Array;
}

function readExports(content: Uint8Array): ExportEntry[] {
  const cursor = new Cursor(content, 0);
  const entries: ExportEntry[] = [];
  for (let count = cursor.u32(); count > 0; count--) {
    const start = cursor.pos;
    const name = cursor.name();
    cursor.u8(); // kind
    cursor.u32(); // index
    entries.push({ name, raw: content.subarray(start, cursor.pos) });
  }
  return entries;
}

function encodeVector(items: Uint8Array[]): Uint8Array {
  return Buffer.concat([Uint8Array.from(encodeU32Leb(items.length)), ...items]);
}

const NUMERIC = new Map<number, 'i32' | 'i64' | 'f32' | 'f64'>([
  [0x7f, 'i32'],
  [0x7e, 'i64'],
  [0x7d, 'f32'],
  [0x7c, 'f64'],
]);

interface GlobalEntry {
  type: number;
  mutable: boolean;
  raw: Uint8Array;
}

/** Skips a constant expression up to and including its `end`; refuses what it does not know. */
function skipConstExpr(cursor: Cursor): void {
  for (;;) {
    const op = cursor.u8();
    if (op === 0x0b) return;
    if (op === 0x41 || op === 0x42) cursor.leb();
    else if (op === 0x43) cursor.pos += 4;
    else if (op === 0x44) cursor.pos += 8;
    else if (op === 0x23 || op === 0xd2) cursor.u32();
    else if (op === 0xd0) cursor.leb();
    else throw new SnapshotUnsupportedError(`constant expression opcode 0x${op.toString(16)}`);
  }
}

function readGlobals(content: Uint8Array): GlobalEntry[] {
  const cursor = new Cursor(content, 0);
  const globals: GlobalEntry[] = [];
  for (let count = cursor.u32(); count > 0; count--) {
    const start = cursor.pos;
    const type = cursor.u8();
    if (type === 0x63 || type === 0x64) cursor.leb(); // (ref null? ht)
    const mutable = cursor.u8() === 1;
    skipConstExpr(cursor);
    if (mutable && !NUMERIC.has(type))
      throw new SnapshotUnsupportedError(`a mutable global of type 0x${type.toString(16)}`);
    globals.push({ type, mutable, raw: content.subarray(start, cursor.pos) });
  }
  return globals;
}

function encodeGlobal(global: GlobalEntry, value: WebAssembly.Global): Uint8Array {
  const kind = NUMERIC.get(global.type);
  const head = [global.type, 1];
  if (kind === 'i32') return Uint8Array.of(...head, 0x41, ...encodeSleb(BigInt(value.value as number)), 0x0b);
  if (kind === 'i64') return Uint8Array.of(...head, 0x42, ...encodeSleb(value.value as bigint), 0x0b);
  const view = new DataView(new ArrayBuffer(kind === 'f32' ? 4 : 8));
  if (kind === 'f32') view.setFloat32(0, value.value as number, true);
  else view.setFloat64(0, value.value as number, true);
  return Uint8Array.of(...head, kind === 'f32' ? 0x43 : 0x44, ...new Uint8Array(view.buffer), 0x0b);
}

/** The module's one memory's limits flags and maximum, refusing shared and 64-bit memories. */
function readMemory(content: Uint8Array): { flags: number; max: number | undefined } {
  const cursor = new Cursor(content, 0);
  if (cursor.u32() !== 1) throw new SnapshotUnsupportedError('not exactly one memory');
  const flags = cursor.u8();
  if (flags > 1) throw new SnapshotUnsupportedError(`memory limits flags ${flags}`);
  cursor.u32(); // min
  return { flags, max: flags === 1 ? cursor.u32() : undefined };
}

/** Every data segment must be active in memory 0: passive ones are named by index in code. */
function checkData(content: Uint8Array): void {
  const cursor = new Cursor(content, 0);
  for (let count = cursor.u32(); count > 0; count--) {
    const flags = cursor.u32();
    if (flags !== 0) throw new SnapshotUnsupportedError(`a data segment with flags ${flags}`);
    skipConstExpr(cursor);
    const size = cursor.u32();
    cursor.pos += size;
  }
}

/** The non-zero runs of memory, [start, end) pairs, scanned a 32-bit word at a time. */
function nonZeroRuns(memory: Uint8Array, gap: number): number[] {
  const words = new Uint32Array(memory.buffer, memory.byteOffset, memory.length >>> 2);
  const gapWords = Math.ceil(gap / 4);
  const runs: number[] = [];
  let at = 0;
  while (at < words.length) {
    while (at < words.length && words[at] === 0) at++;
    if (at >= words.length) break;
    const first = at;
    let last = at;
    while (at < words.length && at - last <= gapWords) {
      if (words[at] !== 0) last = at;
      at++;
    }
    let start = first * 4;
    while (memory[start] === 0) start++;
    let end = last * 4 + 4;
    while (memory[end - 1] === 0) end--;
    runs.push(start, end);
    at = last + 1;
  }
  return runs;
}

/** The data section's content: memory's non-zero runs as active segments (i32.const offsets). */
function dataContent(memory: Uint8Array): { content: Uint8Array; count: number } {
  let runs = nonZeroRuns(memory, SEGMENT_GAP);
  for (let gap = SEGMENT_GAP * 4; runs.length / 2 > MAX_SEGMENTS; gap *= 4) runs = nonZeroRuns(memory, gap);
  const count = runs.length / 2;
  const headers: number[][] = [];
  let size = encodeU32Leb(count).length;
  for (let i = 0; i < runs.length; i += 2) {
    const start = runs[i]!;
    const length = runs[i + 1]! - start;
    const header = [0, 0x41, ...encodeSleb(BigInt(start | 0)), 0x0b, ...encodeU32Leb(length)];
    headers.push(header);
    size += header.length + length;
  }
  const content = new Uint8Array(size);
  const countBytes = encodeU32Leb(count);
  content.set(countBytes);
  let at = countBytes.length;
  for (let i = 0; i < runs.length; i += 2) {
    const header = headers[i / 2]!;
    content.set(header, at);
    at += header.length;
    content.set(memory.subarray(runs[i]!, runs[i + 1]!), at);
    at += runs[i + 1]! - runs[i]!;
  }
  return { content, count };
}

/** What one init needs: the environment, the preopened folders (guest → host) and stdin's text. */
export interface SnapshotInit {
  initFunction: string;
  env: Record<string, string>;
  preopens: Record<string, string>;
  stdin: string;
  /** A scratch file path for stdin's text and one for what the init writes to stderr. */
  stdinPath: string;
  stderrPath: string;
}

/** One engine module, compiled once, pre-initialized as many times as asked. */
export class WasmSnapshotter {
  readonly #sections: Section[];
  readonly #globals: GlobalEntry[];
  readonly #memory: { flags: number; max: number | undefined };
  readonly #module: WebAssembly.Module;
  readonly #wasi: typeof import('node:wasi').WASI;

  private constructor(
    sections: Section[],
    module: WebAssembly.Module,
    wasi: typeof import('node:wasi').WASI,
  ) {
    this.#sections = sections;
    this.#wasi = wasi;
    this.#module = module;
    const find = (id: number) => sections.find((section) => section.id === id);
    if (find(SECTION.start)) throw new SnapshotUnsupportedError('a start function');
    for (const { kind } of WebAssembly.Module.imports(module))
      if (kind !== 'function') throw new SnapshotUnsupportedError(`an imported ${kind}`);
    const memory = find(SECTION.memory);
    if (!memory) throw new SnapshotUnsupportedError('no memory');
    this.#memory = readMemory(memory.content);
    this.#globals = readGlobals(find(SECTION.global)?.content ?? Uint8Array.of(0));
    const data = find(SECTION.data);
    if (!data) throw new SnapshotUnsupportedError('no data section');
    checkData(data.content);
  }

  /**
   * Compiles `bytes` (the engine) once, with every mutable global exported so its value can be read
   * after an init.
   */
  static async compile(bytes: Uint8Array): Promise<WasmSnapshotter> {
    const sections = sectionsOf(bytes);
    const globals = readGlobals(
      sections.find((section) => section.id === SECTION.global)?.content ?? Uint8Array.of(0),
    );
    const added = globals.flatMap((global, index) =>
      global.mutable
        ? [
            Buffer.concat([
              encodeName(`${GLOBAL_EXPORT_PREFIX}${index}`),
              Uint8Array.of(3, ...encodeU32Leb(index)),
            ]),
          ]
        : [],
    );
    const parts = sections.flatMap((section) => {
      if (section.id !== SECTION.export) return encodeSection(section.id, section.content);
      const entries = readExports(section.content).map((entry) => entry.raw);
      return encodeSection(section.id, encodeVector([...entries, ...added]));
    });
    const module = await WebAssembly.compile(Buffer.concat([WASM_MODULE_HEADER, ...parts]));
    // The warning comes with the first WASI made: make one here, where waiting for it is allowed.
    const WASI = await withoutWasiWarning(async () => {
      const { WASI: loaded } = await import('node:wasi');
      new loaded({ version: 'preview1' });
      return loaded;
    });
    return new WasmSnapshotter(sections, module, WASI);
  }

  /** Runs `_initialize` (if exported) and the init function; returns the initialized module's bytes. */
  run(init: SnapshotInit, check?: (exports: WebAssembly.Exports) => void): Uint8Array {
    writeFileSync(init.stdinPath, init.stdin);
    const stdin = openSync(init.stdinPath, 'r');
    const stderr = openSync(init.stderrPath, 'w+');
    let instance: WebAssembly.Instance;
    try {
      const wasi = new this.#wasi({
        version: 'preview1',
        args: [],
        env: init.env,
        preopens: init.preopens,
        stdin,
        stderr,
        returnOnExit: true,
      });
      const imports: Record<string, Record<string, unknown>> = {
        wasi_snapshot_preview1: wasi.wasiImport as Record<string, unknown>,
      };
      for (const { module, name } of WebAssembly.Module.imports(this.#module)) {
        imports[module] ??= {};
        imports[module][name] ??= () => {
          throw new Error(`the init called ${module}#${name}, which is not available while pre-initializing`);
        };
      }
      instance = new WebAssembly.Instance(this.#module, imports as WebAssembly.Imports);
      try {
        const exports = instance.exports;
        wasi.initialize(instance); // runs _initialize, as wizer does before the init function
        const initFunction = exports[init.initFunction];
        if (typeof initFunction !== 'function')
          throw new SnapshotUnsupportedError(`no init function ${init.initFunction}`);
        const status = (initFunction as () => unknown)();
        if (typeof status === 'number' && status !== 0)
          throw new Error(`the init exited with status ${status}`);
        check?.(exports);
      } catch (error) {
        if (error instanceof SnapshotUnsupportedError) throw error;
        const written = readFileSync(init.stderrPath, 'utf8').trim();
        throw new SnapshotInitError(written || String(error), { cause: error });
      }
    } finally {
      closeSync(stdin);
      closeSync(stderr);
    }
    return this.#rewrite(instance, init.initFunction);
  }

  #rewrite(instance: WebAssembly.Instance, initFunction: string): Uint8Array {
    const memory = Object.values(instance.exports).find((value) => value instanceof WebAssembly.Memory);
    if (!memory) throw new SnapshotUnsupportedError('the memory is not exported');
    const bytes = new Uint8Array(memory.buffer);
    const pages = bytes.length / 65_536;
    const data = dataContent(bytes);
    const parts: Uint8Array[] = [WASM_MODULE_HEADER];
    for (const section of this.#sections) {
      switch (section.id) {
        case SECTION.memory: {
          const { flags, max } = this.#memory;
          const limits = [flags, ...encodeU32Leb(pages), ...(max === undefined ? [] : encodeU32Leb(max))];
          parts.push(...encodeSection(section.id, Uint8Array.of(1, ...limits)));
          break;
        }
        case SECTION.global: {
          const entries = this.#globals.map((global, index) => {
            if (!global.mutable) return global.raw;
            const value = instance.exports[`${GLOBAL_EXPORT_PREFIX}${index}`];
            if (!(value instanceof WebAssembly.Global)) throw new SnapshotUnsupportedError(`global ${index}`);
            return encodeGlobal(global, value);
          });
          parts.push(...encodeSection(section.id, encodeVector(entries)));
          break;
        }
        case SECTION.export: {
          const kept = readExports(section.content).filter(
            (entry) => entry.name !== initFunction && entry.name !== '_initialize',
          );
          parts.push(...encodeSection(section.id, encodeVector(kept.map((entry) => entry.raw))));
          break;
        }
        case SECTION.dataCount:
          parts.push(...encodeSection(section.id, Uint8Array.from(encodeU32Leb(data.count))));
          break;
        case SECTION.data:
          parts.push(...encodeSection(section.id, data.content));
          break;
        default:
          parts.push(...encodeSection(section.id, section.content));
      }
    }
    return Buffer.concat(parts);
  }
}
