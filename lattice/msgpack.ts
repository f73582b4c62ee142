// A small, strict MessagePack reader and writer for the lattice's envelopes (Invocation,
// InvocationResponse, LinkDefinition, HealthCheck…). Hand-written rather than a general codec
// because the envelopes need three things a general codec does not give:
//   - exact bytes: maps in the Rust field order, minimal integer and string headers, as
//     rmp_serde writes them, so our bytes match a 2022 host's byte for byte;
//   - `msg` read as raw bytes whether it arrives as bin or as str (the Elixir host packs
//     binaries as str, which a UTF-8 decode would corrupt);
//   - zero-copy: `msg` is a view into the received buffer, not a copy.
// Contract payloads (HttpRequest, …) are plain data and use a general codec elsewhere.

import { DecodeError } from './errors.ts';

export class MsgpackWriter {
  #buffer: Buffer;
  #view: DataView;
  #length = 0;

  constructor(initialSize = 256) {
    this.#buffer = Buffer.allocUnsafe(initialSize);
    this.#view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset, this.#buffer.byteLength);
  }

  #reserve(extra: number): void {
    const needed = this.#length + extra;
    if (needed <= this.#buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.#buffer.length * 2));
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  #byte(value: number): void {
    this.#reserve(1);
    this.#buffer[this.#length++] = value;
  }

  mapHeader(size: number): this {
    if (size < 16) this.#byte(0x80 | size);
    else if (size < 0x10000) {
      this.#reserve(3);
      this.#buffer[this.#length] = 0xde;
      this.#view.setUint16(this.#length + 1, size);
      this.#length += 3;
    } else {
      this.#reserve(5);
      this.#buffer[this.#length] = 0xdf;
      this.#view.setUint32(this.#length + 1, size);
      this.#length += 5;
    }
    return this;
  }

  arrayHeader(size: number): this {
    if (size < 16) this.#byte(0x90 | size);
    else if (size < 0x10000) {
      this.#reserve(3);
      this.#buffer[this.#length] = 0xdc;
      this.#view.setUint16(this.#length + 1, size);
      this.#length += 3;
    } else {
      this.#reserve(5);
      this.#buffer[this.#length] = 0xdd;
      this.#view.setUint32(this.#length + 1, size);
      this.#length += 5;
    }
    return this;
  }

  str(value: string): this {
    const size = Buffer.byteLength(value, 'utf8');
    this.#reserve(size + 5);
    if (size < 32) this.#buffer[this.#length++] = 0xa0 | size;
    else if (size < 0x100) {
      this.#buffer[this.#length++] = 0xd9;
      this.#buffer[this.#length++] = size;
    } else if (size < 0x10000) {
      this.#buffer[this.#length] = 0xda;
      this.#view.setUint16(this.#length + 1, size);
      this.#length += 3;
    } else {
      this.#buffer[this.#length] = 0xdb;
      this.#view.setUint32(this.#length + 1, size);
      this.#length += 5;
    }
    this.#length += this.#buffer.write(value, this.#length, size, 'utf8');
    return this;
  }

  bin(value: Uint8Array): this {
    const size = value.length;
    this.#reserve(size + 5);
    if (size < 0x100) {
      this.#buffer[this.#length++] = 0xc4;
      this.#buffer[this.#length++] = size;
    } else if (size < 0x10000) {
      this.#buffer[this.#length] = 0xc5;
      this.#view.setUint16(this.#length + 1, size);
      this.#length += 3;
    } else {
      this.#buffer[this.#length] = 0xc6;
      this.#view.setUint32(this.#length + 1, size);
      this.#length += 5;
    }
    this.#buffer.set(value, this.#length);
    this.#length += size;
    return this;
  }

  /** An unsigned integer with the smallest header, as rmp writes it. */
  uint(value: number | bigint): this {
    const n = BigInt(value);
    if (n < 0n) throw new DecodeError('MSGPACK_UNENCODABLE', `uint cannot encode ${n}`);
    if (n < 128n) this.#byte(Number(n));
    else if (n < 0x100n) {
      this.#reserve(2);
      this.#buffer[this.#length++] = 0xcc;
      this.#buffer[this.#length++] = Number(n);
    } else if (n < 0x10000n) {
      this.#reserve(3);
      this.#buffer[this.#length] = 0xcd;
      this.#view.setUint16(this.#length + 1, Number(n));
      this.#length += 3;
    } else if (n < 0x100000000n) {
      this.#reserve(5);
      this.#buffer[this.#length] = 0xce;
      this.#view.setUint32(this.#length + 1, Number(n));
      this.#length += 5;
    } else {
      this.#reserve(9);
      this.#buffer[this.#length] = 0xcf;
      this.#view.setBigUint64(this.#length + 1, n);
      this.#length += 9;
    }
    return this;
  }

  bool(value: boolean): this {
    this.#byte(value ? 0xc3 : 0xc2);
    return this;
  }

  nil(): this {
    this.#byte(0xc0);
    return this;
  }

  /** A map of strings to strings, in insertion order. */
  stringMap(map: Readonly<Record<string, string>>): this {
    const entries = Object.entries(map);
    this.mapHeader(entries.length);
    for (const [key, value] of entries) this.str(key).str(value);
    return this;
  }

  /** The bytes written so far (a view; copy it if the writer is reused). */
  finish(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }
}

/** A decoded value of any type, for fields we skip or accept loosely. */
export type MsgpackValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | MsgpackValue[]
  | { [key: string]: MsgpackValue };

const MAX_DEPTH = 64;

export class MsgpackReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.#offset >= this.#bytes.length;
  }

  #need(count: number): number {
    const at = this.#offset;
    if (at + count > this.#bytes.length) {
      throw new DecodeError(
        'MSGPACK_TRUNCATED',
        `msgpack is truncated: needs ${at + count - this.#bytes.length} more bytes at offset ${at}`,
      );
    }
    this.#offset += count;
    return at;
  }

  #u8(): number {
    return this.#bytes[this.#need(1)]!;
  }
  #u16(): number {
    return this.#view.getUint16(this.#need(2));
  }
  #u32(): number {
    return this.#view.getUint32(this.#need(4));
  }

  #unexpected(wanted: string, marker: number): DecodeError {
    return new DecodeError(
      'MSGPACK_TYPE',
      `expected ${wanted} at offset ${this.#offset - 1}, found ${describeMarker(marker)}`,
    );
  }

  mapHeader(): number {
    const marker = this.#u8();
    if ((marker & 0xf0) === 0x80) return marker & 0x0f;
    if (marker === 0xde) return this.#u16();
    if (marker === 0xdf) return this.#u32();
    throw this.#unexpected('a map', marker);
  }

  /** A map header, or 0 for nil (an absent optional map). */
  mapHeaderOrNil(): number {
    if (this.#bytes[this.#offset] === 0xc0) {
      this.#offset++;
      return 0;
    }
    return this.mapHeader();
  }

  #strLength(marker: number): number | undefined {
    if ((marker & 0xe0) === 0xa0) return marker & 0x1f;
    if (marker === 0xd9) return this.#u8();
    if (marker === 0xda) return this.#u16();
    if (marker === 0xdb) return this.#u32();
    return undefined;
  }

  #binLength(marker: number): number | undefined {
    if (marker === 0xc4) return this.#u8();
    if (marker === 0xc5) return this.#u16();
    if (marker === 0xc6) return this.#u32();
    return undefined;
  }

  str(): string {
    const marker = this.#u8();
    const length = this.#strLength(marker);
    if (length === undefined) throw this.#unexpected('a string', marker);
    const at = this.#need(length);
    return Buffer.from(this.#bytes.buffer, this.#bytes.byteOffset + at, length).toString('utf8');
  }

  /** A string, or undefined for nil (serde's Option<String>). */
  strOrNil(): string | undefined {
    if (this.#bytes[this.#offset] === 0xc0) {
      this.#offset++;
      return undefined;
    }
    return this.str();
  }

  /** Raw bytes from a bin, or the raw bytes of a str (never UTF-8 decoded). A view, not a copy. */
  bytes(): Uint8Array {
    const marker = this.#u8();
    const length = this.#binLength(marker) ?? this.#strLength(marker);
    if (length === undefined) {
      // serde_bytes also accepts an array of u8.
      if ((marker & 0xf0) === 0x90 || marker === 0xdc || marker === 0xdd) {
        this.#offset--;
        const items = this.value();
        if (
          Array.isArray(items) &&
          items.every((b) => typeof b === 'number' && b >= 0 && b < 256 && Number.isInteger(b))
        ) {
          return Uint8Array.from(items as number[]);
        }
      }
      throw this.#unexpected('bytes (bin or str)', marker);
    }
    const at = this.#need(length);
    return this.#bytes.subarray(at, at + length);
  }

  /** A non-negative integer (u64), as a number when safe, else a bigint. Nil gives undefined. */
  uintOrNil(): number | bigint | undefined {
    const value = this.value();
    if (value === null) return undefined;
    if (
      (typeof value === 'number' && Number.isInteger(value) && value >= 0) ||
      (typeof value === 'bigint' && value >= 0n)
    ) {
      return value;
    }
    throw new DecodeError('MSGPACK_TYPE', `expected an unsigned integer, found ${typeof value}`);
  }

  boolOrNil(): boolean | undefined {
    const value = this.value();
    if (value === null) return undefined;
    if (typeof value !== 'boolean')
      throw new DecodeError('MSGPACK_TYPE', `expected a boolean, found ${typeof value}`);
    return value;
  }

  /** Any value, decoded generically (strings as UTF-8, bin as views). */
  value(depth = 0): MsgpackValue {
    if (depth > MAX_DEPTH)
      throw new DecodeError('MSGPACK_TOO_DEEP', `msgpack nests deeper than ${MAX_DEPTH} levels`);
    const marker = this.#u8();
    if (marker < 0x80) return marker;
    if (marker >= 0xe0) return marker - 0x100;
    if ((marker & 0xf0) === 0x80 || marker === 0xde || marker === 0xdf) {
      this.#offset--;
      const size = this.mapHeader();
      const map: { [key: string]: MsgpackValue } = {};
      for (let i = 0; i < size; i++) {
        const keyAt = this.#offset;
        const key = mapKey(this.value(depth + 1), keyAt);
        const value = this.value(depth + 1);
        // A plain assignment to `__proto__` would set the map's prototype instead of a key.
        if (key === '__proto__')
          Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
        else map[key] = value;
      }
      return map;
    }
    if ((marker & 0xf0) === 0x90 || marker === 0xdc || marker === 0xdd) {
      const size = marker === 0xdc ? this.#u16() : marker === 0xdd ? this.#u32() : marker & 0x0f;
      if (size > this.#bytes.length - this.#offset)
        throw new DecodeError('MSGPACK_TRUNCATED', 'msgpack array is longer than the message');
      const items: MsgpackValue[] = [];
      for (let i = 0; i < size; i++) items.push(this.value(depth + 1));
      return items;
    }
    const strLength = this.#strLength(marker);
    if (strLength !== undefined) {
      const at = this.#need(strLength);
      return Buffer.from(this.#bytes.buffer, this.#bytes.byteOffset + at, strLength).toString('utf8');
    }
    const binLength = this.#binLength(marker);
    if (binLength !== undefined) {
      const at = this.#need(binLength);
      return this.#bytes.subarray(at, at + binLength);
    }
    switch (marker) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xcc:
        return this.#u8();
      case 0xcd:
        return this.#u16();
      case 0xce:
        return this.#u32();
      case 0xcf:
        return safeInteger(this.#view.getBigUint64(this.#need(8)));
      case 0xd0:
        return this.#view.getInt8(this.#need(1));
      case 0xd1:
        return this.#view.getInt16(this.#need(2));
      case 0xd2:
        return this.#view.getInt32(this.#need(4));
      case 0xd3:
        return safeInteger(this.#view.getBigInt64(this.#need(8)));
      case 0xca:
        return this.#view.getFloat32(this.#need(4));
      case 0xcb:
        return this.#view.getFloat64(this.#need(8));
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8: {
        const size = [1, 2, 4, 8, 16][marker - 0xd4]!;
        this.#need(1 + size);
        return null; // fixext: no lattice message uses extensions; skip it
      }
      case 0xc7:
      case 0xc8:
      case 0xc9: {
        const size = marker === 0xc7 ? this.#u8() : marker === 0xc8 ? this.#u16() : this.#u32();
        this.#need(1 + size);
        return null;
      }
      default:
        throw new DecodeError(
          'MSGPACK_INVALID',
          `invalid msgpack marker 0x${marker.toString(16)} at offset ${this.#offset - 1}`,
        );
    }
  }

  /** Reads a map of strings to strings (nil gives an empty map). */
  stringMap(): Record<string, string> {
    const size = this.mapHeaderOrNil();
    const map: Record<string, string> = {};
    for (let i = 0; i < size; i++) {
      const key = this.str();
      map[key] = this.str();
    }
    return map;
  }
}

/** A decoded map key as an object key: strings as they are, bytes as UTF-8, scalars as text; maps and arrays refused. */
function mapKey(key: MsgpackValue, offset: number): string {
  if (typeof key === 'string') return key;
  if (key instanceof Uint8Array) return Buffer.from(key.buffer, key.byteOffset, key.length).toString('utf8');
  if (key === null || typeof key !== 'object') return String(key);
  const kind = Array.isArray(key) ? 'an array' : 'a map';
  throw new DecodeError('MSGPACK_TYPE', `a map key at offset ${offset} is ${kind}, not a string or a number`);
}

function safeInteger(value: bigint): number | bigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value;
}

function describeMarker(marker: number): string {
  if (marker < 0x80 || marker >= 0xe0 || (marker >= 0xcc && marker <= 0xd3)) return 'an integer';
  if ((marker & 0xf0) === 0x80 || marker === 0xde || marker === 0xdf) return 'a map';
  if ((marker & 0xf0) === 0x90 || marker === 0xdc || marker === 0xdd) return 'an array';
  if ((marker & 0xe0) === 0xa0 || (marker >= 0xd9 && marker <= 0xdb)) return 'a string';
  if (marker >= 0xc4 && marker <= 0xc6) return 'bytes';
  if (marker === 0xc0) return 'nil';
  if (marker === 0xc2 || marker === 0xc3) return 'a boolean';
  if (marker === 0xca || marker === 0xcb) return 'a float';
  return `marker 0x${marker.toString(16)}`;
}

/** Decodes a whole message with `read`, turning any decoding failure into a DecodeError naming `what`. */
export function decodeWith<T>(bytes: Uint8Array, what: string, read: (reader: MsgpackReader) => T): T {
  try {
    const reader = new MsgpackReader(bytes);
    const value = read(reader);
    if (!reader.done)
      throw new DecodeError('MSGPACK_TRAILING', 'there are bytes after the end of the message');
    return value;
  } catch (error) {
    if (error instanceof DecodeError)
      throw new DecodeError(error.code, `invalid ${what}: ${error.message}`, { cause: error });
    throw error;
  }
}
