// A cursor over WebAssembly bytes that decodes just enough to walk code: LEB128 numbers, value
// and block types, and the immediates of every instruction of the features V8 runs (MVP,
// sign-extension, saturating truncation, bulk memory, reference types, multi-value, SIMD and
// relaxed SIMD, threads, multi-memory, memory64, tail calls, exception handling old and new,
// typed function references and GC). The yield-point rewriter (yield-points.ts) uses it to find
// loops and function indices; anything it does not know is refused, never guessed.

import { HostError } from '../errors.ts';

/** Bytes the decoder cannot read: malformed, or an instruction it does not know. */
export class WasmDecodeError extends HostError {}

/** What the rewriter needs to know of one instruction. */
export const InstructionKind = {
  Other: 0,
  /** `loop`: a yield point goes right after its block type. */
  Loop: 1,
  /** `end`: closes a block, or the function body or constant expression. */
  End: 2,
  /** `call`, `return_call` or `ref.func`: a function index at `indexStart`..`indexEnd`. */
  FunctionIndex: 3,
  /** `call_indirect`, `return_call_indirect`, `call_ref` or `return_call_ref`. */
  IndirectCall: 4,
} as const;
export type InstructionKind = (typeof InstructionKind)[keyof typeof InstructionKind];

// Value types and heap types written as one negative s33 byte; 0x63/0x64 (ref null ht / ref ht)
// are followed by a heap type.
const REF_NULL = -0x1d; // 0x63
const REF = -0x1c; // 0x64

export class WasmReader {
  readonly bytes: Uint8Array;
  pos: number;
  readonly end: number;
  /** Where the last FunctionIndex instruction's index starts and ends, and its value. */
  indexStart = 0;
  indexEnd = 0;
  index = 0;

  constructor(bytes: Uint8Array, pos: number, end: number) {
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
  }

  fail(message: string, at = this.pos): never {
    throw new WasmDecodeError('WASM_DECODE', `${message} (at byte ${at})`);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('unexpected end of the section');
    return this.bytes[this.pos++]!;
  }

  /** An unsigned LEB128 of at most 32 bits. */
  u32(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.u8();
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (value > 0xffffffff) this.fail('a u32 is out of range');
        return value;
      }
    }
    return this.fail('a u32 is longer than 5 bytes');
  }

  /** Skips any LEB128 of at most `maxBytes` bytes (10 for 64-bit values). */
  skipLeb(maxBytes: number): void {
    for (let i = 0; i < maxBytes; i++) {
      if ((this.u8() & 0x80) === 0) return;
    }
    this.fail(`a number is longer than ${maxBytes} bytes`);
  }

  /** A signed LEB128 of at most 33 bits (block types, heap types). */
  s33(): number {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      if (shift >= 35) this.fail('an s33 is longer than 5 bytes');
      byte = this.u8();
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    if (byte & 0x40) value -= 2 ** shift;
    return value;
  }

  skip(count: number): void {
    if (this.pos + count > this.end) this.fail('unexpected end of the section');
    this.pos += count;
  }

  /** A name (vec of UTF-8 bytes). */
  name(): string {
    const length = this.u32();
    const start = this.pos;
    this.skip(length);
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + start, length).toString('utf8');
  }

  /** A name, skipped. */
  skipName(): void {
    this.skip(this.u32());
  }

  heapType(): void {
    this.s33();
  }

  valType(): void {
    const type = this.s33();
    if (type === REF_NULL || type === REF) this.heapType();
    else if (type >= 0) this.fail(`value type ${type} is not one this host knows`);
  }

  /** A block type: empty (0x40), one value type, or a type index. */
  blockType(): void {
    const type = this.s33();
    if (type === REF_NULL || type === REF) this.heapType();
  }

  /** A memory argument: alignment (bit 6: a memory index follows) and a 32- or 64-bit offset. */
  memarg(): void {
    const align = this.u32();
    if (align & 0x40) this.u32();
    this.skipLeb(10);
  }

  /** Table or memory limits: flags, minimum, maximum when flagged, page size when flagged. */
  limits(): void {
    const flags = this.u8();
    if (flags & ~0x0f) this.fail(`limits flags 0x${flags.toString(16)} are not known`);
    this.skipLeb(10);
    if (flags & 0x01) this.skipLeb(10);
    if (flags & 0x08) this.u32();
  }

  tableType(): void {
    this.valType();
    this.limits();
  }

  globalType(): void {
    this.valType();
    const mutability = this.u8();
    if (mutability > 1) this.fail(`global mutability ${mutability} is not known`);
  }

  /**
   * Reads one instruction and says what kind it is. For FunctionIndex, `index`, `indexStart`
   * and `indexEnd` locate the function index.
   */
  instruction(): InstructionKind {
    const at = this.pos;
    const opcode = this.u8();
    switch (opcode) {
      case 0x00: // unreachable
      case 0x01: // nop
      case 0x05: // else
      case 0x0a: // throw_ref
      case 0x0f: // return
      case 0x19: // catch_all (legacy exceptions)
      case 0x1a: // drop
      case 0x1b: // select
      case 0xd1: // ref.is_null
      case 0xd3: // ref.eq
      case 0xd4: // ref.as_non_null
        return InstructionKind.Other;
      case 0x0b:
        return InstructionKind.End;
      case 0x02: // block
      case 0x04: // if
      case 0x06: // try (legacy exceptions)
        this.blockType();
        return InstructionKind.Other;
      case 0x03:
        this.blockType();
        return InstructionKind.Loop;
      case 0x07: // catch (legacy): tag
      case 0x08: // throw: tag
      case 0x09: // rethrow (legacy): label
      case 0x0c: // br
      case 0x0d: // br_if
      case 0x18: // delegate (legacy): label
      case 0x20: // local.get
      case 0x21: // local.set
      case 0x22: // local.tee
      case 0x23: // global.get
      case 0x24: // global.set
      case 0x25: // table.get
      case 0x26: // table.set
      case 0x3f: // memory.size: memory
      case 0x40: // memory.grow: memory
      case 0xd5: // br_on_null: label
      case 0xd6: // br_on_non_null: label
        this.u32();
        return InstructionKind.Other;
      case 0x0e: {
        // br_table: labels, then the default
        const count = this.u32();
        for (let i = 0; i <= count; i++) this.u32();
        return InstructionKind.Other;
      }
      case 0x10: // call
      case 0x12: // return_call
      case 0xd2: // ref.func
        this.indexStart = this.pos;
        this.index = this.u32();
        this.indexEnd = this.pos;
        return InstructionKind.FunctionIndex;
      case 0x11: // call_indirect: type, table
      case 0x13: // return_call_indirect: type, table
        this.u32();
        this.u32();
        return InstructionKind.IndirectCall;
      case 0x14: // call_ref: type
      case 0x15: // return_call_ref: type
        this.u32();
        return InstructionKind.IndirectCall;
      case 0x1c: {
        // select t*
        const count = this.u32();
        for (let i = 0; i < count; i++) this.valType();
        return InstructionKind.Other;
      }
      case 0x1f: {
        // try_table: block type, then catch clauses
        this.blockType();
        const count = this.u32();
        for (let i = 0; i < count; i++) {
          const kind = this.u8();
          if (kind === 0x00 || kind === 0x01)
            this.u32(); // catch / catch_ref: tag
          else if (kind !== 0x02 && kind !== 0x03) this.fail(`try_table catch kind ${kind} is not known`);
          this.u32(); // label
        }
        return InstructionKind.Other;
      }
      case 0x41: // i32.const
        this.skipLeb(5);
        return InstructionKind.Other;
      case 0x42: // i64.const
        this.skipLeb(10);
        return InstructionKind.Other;
      case 0x43: // f32.const
        this.skip(4);
        return InstructionKind.Other;
      case 0x44: // f64.const
        this.skip(8);
        return InstructionKind.Other;
      case 0xd0: // ref.null: heap type
        this.heapType();
        return InstructionKind.Other;
      case 0xfb:
        this.gcInstruction(at);
        return InstructionKind.Other;
      case 0xfc:
        this.miscInstruction(at);
        return InstructionKind.Other;
      case 0xfd:
        this.simdInstruction(at);
        return InstructionKind.Other;
      case 0xfe:
        this.atomicInstruction(at);
        return InstructionKind.Other;
    }
    if (opcode >= 0x28 && opcode <= 0x3e) {
      this.memarg(); // loads and stores
      return InstructionKind.Other;
    }
    if (opcode >= 0x45 && opcode <= 0xc4) return InstructionKind.Other; // numeric, sign-extension
    return this.fail(`instruction 0x${opcode.toString(16)} is not one this host can decode`, at);
  }

  /** 0xfb: GC (structs, arrays, casts, i31). */
  private gcInstruction(at: number): void {
    const op = this.u32();
    switch (op) {
      case 0x00: // struct.new
      case 0x01: // struct.new_default
      case 0x06: // array.new
      case 0x07: // array.new_default
      case 0x0b: // array.get
      case 0x0c: // array.get_s
      case 0x0d: // array.get_u
      case 0x0e: // array.set
      case 0x10: // array.fill
        this.u32();
        return;
      case 0x02: // struct.get: type, field
      case 0x03:
      case 0x04:
      case 0x05: // struct.set
      case 0x08: // array.new_fixed: type, count
      case 0x09: // array.new_data: type, data
      case 0x0a: // array.new_elem: type, elem
      case 0x11: // array.copy: type, type
      case 0x12: // array.init_data
      case 0x13: // array.init_elem
        this.u32();
        this.u32();
        return;
      case 0x0f: // array.len
      case 0x1a: // any.convert_extern
      case 0x1b: // extern.convert_any
      case 0x1c: // ref.i31
      case 0x1d: // i31.get_s
      case 0x1e: // i31.get_u
        return;
      case 0x14: // ref.test
      case 0x15: // ref.test null
      case 0x16: // ref.cast
      case 0x17: // ref.cast null
        this.heapType();
        return;
      case 0x18: // br_on_cast: flags, label, heap type, heap type
      case 0x19: // br_on_cast_fail
        this.u8();
        this.u32();
        this.heapType();
        this.heapType();
        return;
    }
    this.fail(`instruction 0xfb ${op} is not one this host can decode`, at);
  }

  /** 0xfc: saturating truncation, bulk memory and tables. */
  private miscInstruction(at: number): void {
    const op = this.u32();
    if (op <= 0x07) return; // trunc_sat
    switch (op) {
      case 0x08: // memory.init: data, memory
      case 0x0a: // memory.copy: memory, memory
      case 0x0c: // table.init: elem, table
      case 0x0e: // table.copy: table, table
        this.u32();
        this.u32();
        return;
      case 0x09: // data.drop
      case 0x0b: // memory.fill
      case 0x0d: // elem.drop
      case 0x0f: // table.grow
      case 0x10: // table.size
      case 0x11: // table.fill
        this.u32();
        return;
    }
    this.fail(`instruction 0xfc ${op} is not one this host can decode`, at);
  }

  /** 0xfd: SIMD and relaxed SIMD. */
  private simdInstruction(at: number): void {
    const op = this.u32();
    if (op <= 0x0b || op === 0x5c || op === 0x5d) {
      this.memarg(); // v128 loads and stores, load32_zero, load64_zero
      return;
    }
    if (op === 0x0c || op === 0x0d) {
      this.skip(16); // v128.const, i8x16.shuffle
      return;
    }
    if (op >= 0x15 && op <= 0x22) {
      this.u8(); // extract_lane / replace_lane: lane
      return;
    }
    if (op >= 0x54 && op <= 0x5b) {
      this.memarg(); // load*_lane / store*_lane: memarg, lane
      this.u8();
      return;
    }
    if (op <= 0x113) return; // every other SIMD and relaxed-SIMD operation has no immediate
    this.fail(`instruction 0xfd ${op} is not one this host can decode`, at);
  }

  /** 0xfe: threads (atomics). */
  private atomicInstruction(at: number): void {
    const op = this.u32();
    if (op === 0x03) {
      this.u8(); // atomic.fence: reserved byte
      return;
    }
    if (op <= 0x02 || (op >= 0x10 && op <= 0x4e)) {
      this.memarg();
      return;
    }
    this.fail(`instruction 0xfe ${op} is not one this host can decode`, at);
  }
}
