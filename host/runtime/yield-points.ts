// Makes a core module interruptible, as wasmtime's fuel does: at every loop header and at the
// entry of every function that calls, the rewritten module counts down a fuel global of its own,
// and at zero calls the import `wasmcloud_ts.yield` and refills it. The import (interrupt.ts) ends a
// call past its deadline and otherwise, every few milliseconds, suspends the call through JSPI so
// the worker serves other calls meanwhile. Done once per module hash, after the claims are
// verified; the module the actor signed is not changed, only what this host compiles.
//
// Adding an imported function renumbers every defined function, so each function index is
// rewritten: calls, return_calls and ref.func in code and constant expressions, exports, the start
// function, element segments and the names custom section. The code metadata custom sections
// (branch hints), which point at code offsets, are dropped.

import { encodeU32Leb, wasmSections } from '../../lattice/wasm.ts';
import { InstructionKind, WasmDecodeError, WasmReader } from './wasm-reader.ts';

export const YIELD_MODULE = 'wasmcloud_ts';
export const YIELD_NAME = 'yield';
/**
 * Loop iterations and function entries between two calls of the yield import. A tight loop
 * iteration takes about a nanosecond and the import call ~100 ns, so this keeps the import under
 * 1 % of the time while it is still called every ~10–100 µs of work (bench/runaway.bench.ts).
 */
export const FUEL_PER_YIELD = 10_000;

const SECTION = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
  tag: 13,
} as const;
/** The order non-custom sections must appear in (the tag section sits between memory and global). */
const SECTION_ORDER: number[] = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];

const utf8 = new TextEncoder();

function leb(value: number): Uint8Array {
  return Uint8Array.from(encodeU32Leb(value));
}

function signedLeb(value: number): Uint8Array {
  const out: number[] = [];
  let rest = value;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    if ((rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return Uint8Array.from(out);
    }
    out.push(byte | 0x80);
  }
}

function nameBytes(text: string): Uint8Array {
  const bytes = utf8.encode(text);
  return Buffer.concat([leb(bytes.length), bytes]);
}

/** Appends without spreading: a big function has more parts than a call has room for arguments. */
function append(to: Uint8Array[], parts: readonly Uint8Array[]): void {
  for (const part of parts) to.push(part);
}

function totalLength(parts: readonly Uint8Array[]): number {
  let length = 0;
  for (const part of parts) length += part.length;
  return length;
}

/** A copy of a byte range with some sub-ranges replaced; replacements are added in order. */
class Patches {
  readonly #bytes: Uint8Array;
  readonly #edits: Array<{ start: number; end: number; with: Uint8Array }> = [];
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }
  replace(start: number, end: number, replacement: Uint8Array): void {
    this.#edits.push({ start, end, with: replacement });
  }
  insert(at: number, bytes: Uint8Array): void {
    this.replace(at, at, bytes);
  }
  /** The bytes from..to with every edit inside applied, as parts; forgets those edits. */
  take(from: number, to: number): Uint8Array[] {
    const parts: Uint8Array[] = [];
    let cursor = from;
    let used = 0;
    for (const edit of this.#edits) {
      if (edit.start < from || edit.end > to) break;
      parts.push(this.#bytes.subarray(cursor, edit.start), edit.with);
      cursor = edit.end;
      used++;
    }
    this.#edits.splice(0, used);
    parts.push(this.#bytes.subarray(cursor, to));
    return parts;
  }
}

function section(id: number, parts: readonly Uint8Array[]): Uint8Array[] {
  return [Uint8Array.of(id), leb(totalLength(parts))].concat(parts);
}

interface Plan {
  /** Imported functions before ours: indices at or above this move up by one. */
  importedFunctions: number;
  yieldFunction: number;
  fuelGlobal: number;
  /** The instructions run at each yield point. */
  check: Uint8Array;
}

/** Renumbers the function index the reader just read, when it names a defined function. */
function renumber(r: WasmReader, patches: Patches, plan: Plan): void {
  if (r.index >= plan.importedFunctions) patches.replace(r.indexStart, r.indexEnd, leb(r.index + 1));
}

/** Walks a constant expression up to its `end`, renumbering ref.func. */
function constExpr(r: WasmReader, patches: Patches, plan: Plan): void {
  for (;;) {
    const kind = r.instruction();
    if (kind === InstructionKind.End) return;
    if (kind === InstructionKind.FunctionIndex) renumber(r, patches, plan);
  }
}

function funcIndex(r: WasmReader, patches: Patches, plan: Plan): void {
  r.indexStart = r.pos;
  r.index = r.u32();
  r.indexEnd = r.pos;
  renumber(r, patches, plan);
}

/**
 * One function body, with a yield point after every loop header and, when it calls anything, at
 * its entry. A function that neither loops nor calls runs a bounded number of instructions (its
 * branches only go forward), so it needs none: endless work needs a loop or a cycle of calls, and
 * every function on such a cycle has its entry point.
 */
function instrumentBody(r: WasmReader, patches: Patches, plan: Plan): void {
  const groups = r.u32();
  for (let i = 0; i < groups; i++) {
    r.u32();
    r.valType();
  }
  const codeStart = r.pos;
  if (callsAnything(new WasmReader(r.bytes, codeStart, r.end))) patches.insert(codeStart, plan.check);
  let last: InstructionKind = InstructionKind.Other;
  while (!r.done) {
    last = r.instruction();
    if (last === InstructionKind.Loop) patches.insert(r.pos, plan.check);
    else if (last === InstructionKind.FunctionIndex) renumber(r, patches, plan);
  }
  if (last !== InstructionKind.End) r.fail('a function body does not end with `end`');
}

function callsAnything(r: WasmReader): boolean {
  while (!r.done) {
    const kind = r.instruction();
    if (kind === InstructionKind.IndirectCall) return true;
    // ref.func is not a call, but counting it costs nothing worth saving.
    if (kind === InstructionKind.FunctionIndex) return true;
  }
  return false;
}

/**
 * The number of types the type section defines: a GC recursion group is one entry holding several
 * types, and type indices count types, not entries.
 */
function countTypes(r: WasmReader): number {
  const entries = r.u32();
  let types = 0;
  for (let i = 0; i < entries; i++) {
    if (r.bytes[r.pos] === 0x4e) {
      r.skip(1); // rec
      const members = r.u32();
      for (let j = 0; j < members; j++) subType(r);
      types += members;
    } else {
      subType(r);
      types++;
    }
  }
  if (!r.done) r.fail('the type section has bytes after its last type');
  return types;
}

/** A type: `sub` or `sub final` with its supertypes, then a function, struct or array type. */
function subType(r: WasmReader): void {
  const form = r.u8();
  let composite = form;
  if (form === 0x50 || form === 0x4f) {
    const supertypes = r.u32();
    for (let i = 0; i < supertypes; i++) r.u32();
    composite = r.u8();
  }
  const fieldType = () => {
    r.valType(); // packed i8 and i16 read as value types here
    if (r.u8() > 1) r.fail('a field mutability is not 0 or 1');
  };
  if (composite === 0x60) {
    for (let list = 0; list < 2; list++) {
      const count = r.u32();
      for (let i = 0; i < count; i++) r.valType();
    }
  } else if (composite === 0x5f) {
    const fields = r.u32();
    for (let i = 0; i < fields; i++) fieldType();
  } else if (composite === 0x5e) fieldType();
  else r.fail(`type form 0x${composite.toString(16)} is not known`);
}

function contentStart(bytes: Uint8Array, start: number, end: number): WasmReader {
  const r = new WasmReader(bytes, start + 1, end);
  r.u32(); // the section size, checked by wasmSections
  return r;
}

/**
 * Returns the module rewritten with yield points (see above). Throws WasmDecodeError, naming
 * what and where, for anything it cannot decode; the module is then not run uninstrumented by
 * mistake — the caller decides.
 */
export function addYieldPoints(bytes: Uint8Array, fuel: number = FUEL_PER_YIELD): Uint8Array {
  const { kind, sections } = wasmSections(bytes);
  if (kind !== 'module') throw new WasmDecodeError('WASM_DECODE', 'only core modules get yield points');
  const byId = (id: number) => sections.find((s) => s.id === id);

  // Counts: imported functions and globals, defined globals, types.
  let importedFunctions = 0;
  let importedGlobals = 0;
  const imports = byId(SECTION.import);
  if (imports) {
    const r = contentStart(bytes, imports.start, imports.end);
    const count = r.u32();
    for (let i = 0; i < count; i++) {
      const moduleStart = r.pos;
      if (r.name() === YIELD_MODULE) {
        r.fail(`the module imports from ${YIELD_MODULE}, the host's own namespace`, moduleStart);
      }
      r.skipName();
      const desc = r.u8();
      if (desc === 0x00) {
        r.u32();
        importedFunctions++;
      } else if (desc === 0x01) r.tableType();
      else if (desc === 0x02) r.limits();
      else if (desc === 0x03) {
        r.globalType();
        importedGlobals++;
      } else if (desc === 0x04) {
        r.u8();
        r.u32();
      } else r.fail(`import kind 0x${desc.toString(16)} is not known`);
    }
    if (!r.done) r.fail('the import section has bytes after its last import');
  }
  const countOf = (id: number) => {
    const found = byId(id);
    return found ? contentStart(bytes, found.start, found.end).u32() : 0;
  };
  const types = byId(SECTION.type);
  const typeCount = types ? countTypes(contentStart(bytes, types.start, types.end)) : 0;
  const definedGlobals = countOf(SECTION.global);
  if (!byId(SECTION.code)) return bytes; // no code, nothing can loop

  const yieldFunction = importedFunctions;
  const fuelGlobal = importedGlobals + definedGlobals;
  const g = leb(fuelGlobal);
  const check = Buffer.concat([
    // fuel = fuel - 1; if (fuel <= 0) { yield(); fuel = FUEL }
    Uint8Array.of(0x23, ...g, 0x41, 0x01, 0x6b, 0x24, ...g),
    Uint8Array.of(0x23, ...g, 0x41, 0x00, 0x4c, 0x04, 0x40, 0x10, ...leb(yieldFunction), 0x41),
    signedLeb(fuel),
    Uint8Array.of(0x24, ...g, 0x0b),
  ]);
  const plan: Plan = { importedFunctions, yieldFunction, fuelGlobal, check };
  const patches = new Patches(bytes);

  const rewrite = (s: { id: number; start: number; end: number; name?: string }): Uint8Array[] => {
    const r = contentStart(bytes, s.start, s.end);
    const from = r.pos;
    switch (s.id) {
      case SECTION.type: {
        const count = r.u32();
        return section(SECTION.type, [
          leb(count + 1),
          bytes.subarray(r.pos, s.end),
          Uint8Array.of(0x60, 0, 0),
        ]);
      }
      case SECTION.import: {
        const count = r.u32();
        const entry = Buffer.concat([
          nameBytes(YIELD_MODULE),
          nameBytes(YIELD_NAME),
          Uint8Array.of(0),
          leb(typeCount),
        ]);
        return section(SECTION.import, [leb(count + 1), bytes.subarray(r.pos, s.end), entry]);
      }
      case SECTION.table: {
        const count = r.u32();
        for (let i = 0; i < count; i++) {
          if (bytes[r.pos] === 0x40) {
            r.skip(1);
            if (r.u8() !== 0x00) r.fail('a table with an initializer has a bad reserved byte');
            r.tableType();
            constExpr(r, patches, plan);
          } else r.tableType();
        }
        break;
      }
      case SECTION.global: {
        const count = r.u32();
        const countEnd = r.pos;
        for (let i = 0; i < count; i++) {
          r.globalType();
          constExpr(r, patches, plan);
        }
        if (!r.done) r.fail('the global section has bytes after its last global');
        const fuelEntry = Buffer.concat([
          Uint8Array.of(0x7f, 0x01, 0x41),
          signedLeb(fuel),
          Uint8Array.of(0x0b),
        ]);
        return section(SECTION.global, [leb(count + 1)].concat(patches.take(countEnd, s.end), [fuelEntry]));
      }
      case SECTION.export: {
        const count = r.u32();
        for (let i = 0; i < count; i++) {
          r.skipName();
          const exportKind = r.u8();
          if (exportKind === 0x00) funcIndex(r, patches, plan);
          else r.u32();
        }
        break;
      }
      case SECTION.start:
        funcIndex(r, patches, plan);
        break;
      case SECTION.element: {
        const count = r.u32();
        for (let i = 0; i < count; i++) {
          const flags = r.u32();
          if (flags > 7) r.fail(`element segment flags ${flags} are not known`);
          if ((flags & 1) === 0) {
            if (flags & 2) r.u32(); // table index
            constExpr(r, patches, plan); // offset
          }
          const expressions = (flags & 4) !== 0;
          if ((flags & 3) !== 0) {
            if (expressions) r.valType();
            else if (r.u8() !== 0x00) r.fail('an element segment has an unknown element kind');
          }
          const items = r.u32();
          for (let j = 0; j < items; j++) {
            if (expressions) constExpr(r, patches, plan);
            else funcIndex(r, patches, plan);
          }
        }
        break;
      }
      case SECTION.code: {
        const count = r.u32();
        const parts: Uint8Array[] = [leb(count)];
        for (let i = 0; i < count; i++) {
          const size = r.u32();
          const bodyStart = r.pos;
          const bodyEnd = bodyStart + size;
          if (bodyEnd > s.end) r.fail('a function body runs past the code section');
          instrumentBody(new WasmReader(bytes, bodyStart, bodyEnd), patches, plan);
          const body = patches.take(bodyStart, bodyEnd);
          parts.push(leb(totalLength(body)));
          append(parts, body);
          r.pos = bodyEnd;
        }
        if (!r.done) r.fail('the code section has bytes after its last body');
        return section(SECTION.code, parts);
      }
      case SECTION.custom:
        if (s.name === 'name') return renumberNames(bytes, s, plan);
        if (s.name?.startsWith('metadata.code.')) return [];
        return [bytes.subarray(s.start, s.end)];
      default:
        return [bytes.subarray(s.start, s.end)];
    }
    if (!r.done) r.fail(`section ${s.id} has bytes after its last entry`);
    return section(s.id, patches.take(from, s.end));
  };

  // The sections this adds when the module has none: a type, an import, a global.
  const missing = new Map<number, Uint8Array[]>();
  if (!byId(SECTION.type))
    missing.set(SECTION.type, section(SECTION.type, [leb(1), Uint8Array.of(0x60, 0, 0)]));
  if (!imports) {
    missing.set(
      SECTION.import,
      section(SECTION.import, [
        leb(1),
        nameBytes(YIELD_MODULE),
        nameBytes(YIELD_NAME),
        Uint8Array.of(0),
        leb(typeCount),
      ]),
    );
  }
  if (!byId(SECTION.global)) {
    missing.set(
      SECTION.global,
      section(SECTION.global, [
        leb(1),
        Uint8Array.of(0x7f, 0x01, 0x41),
        signedLeb(fuel),
        Uint8Array.of(0x0b),
      ]),
    );
  }

  const out: Uint8Array[] = [bytes.subarray(0, 8)];
  const rank = (id: number) => SECTION_ORDER.indexOf(id);
  for (const s of sections) {
    if (s.id !== SECTION.custom) {
      for (const [id, parts] of missing) {
        if (rank(id) < rank(s.id)) {
          append(out, parts);
          missing.delete(id);
        }
      }
    }
    append(out, rewrite(s));
  }
  for (const parts of [...missing.entries()].sort(([a], [b]) => rank(a) - rank(b)).map(([, p]) => p))
    append(out, parts);
  return Buffer.concat(out);
}

/**
 * The names custom section with its function indices renumbered (function, local and label
 * names). Names only serve debugging: a names section this cannot read is dropped.
 */
function renumberNames(bytes: Uint8Array, s: { start: number; end: number }, plan: Plan): Uint8Array[] {
  try {
    const r = contentStart(bytes, s.start, s.end);
    const nameStart = r.pos;
    r.skipName(); // "name"
    const parts: Uint8Array[] = [bytes.subarray(nameStart, r.pos)];
    const patches = new Patches(bytes);
    while (!r.done) {
      const subsectionStart = r.pos;
      const id = r.u8();
      const size = r.u32();
      const start = r.pos;
      const end = start + size;
      if (end > s.end) r.fail('a names subsection runs past its section');
      r.pos = end;
      if (id < 1 || id > 3) {
        parts.push(bytes.subarray(subsectionStart, end));
        continue;
      }
      // 1: function names; 2: local names and 3: label names, both by function.
      const sub = new WasmReader(bytes, start, end);
      const count = sub.u32();
      for (let i = 0; i < count; i++) {
        funcIndex(sub, patches, plan);
        if (id === 1) sub.skipName();
        else {
          const inner = sub.u32();
          for (let j = 0; j < inner; j++) {
            sub.u32();
            sub.skipName();
          }
        }
      }
      const content = patches.take(start, end);
      parts.push(Uint8Array.of(id), leb(totalLength(content)));
      append(parts, content);
    }
    return section(SECTION.custom, parts);
  } catch (error) {
    if (error instanceof WasmDecodeError) return [];
    throw error;
  }
}
