// The WebAssembly binary framing that claims need: tell a core module from a component,
// walk the top-level sections, find, strip and append the claims custom section, and hash
// the module as wascap does (SHA-256 of the bytes without the claims section, upper hex).
// Core modules and components frame sections the same way (id byte, LEB128 size, content),
// so one walker serves both.

import { createHash } from 'node:crypto';
import { WasmFormatError } from './errors.ts';

export type WasmKind = 'module' | 'component';

/** The custom section names that hold a claims JWT: `jwt` (wascap ≤ 0.8, written here), `wasmcloud_jwt` (≥ 0.9). */
export const CLAIMS_SECTION_NAMES = ['jwt', 'wasmcloud_jwt'] as const;
const WRITTEN_SECTION_NAME = 'jwt';

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const HEADER_LENGTH = 8;

/** One top-level section: its id, where it starts (the id byte) and ends, and the custom name if any. */
export interface WasmSection {
  id: number;
  start: number;
  end: number;
  name?: string;
}

/** Reads the 8-byte preamble: `\0asm` then version 1 (module) or 0x0d layer 1 (component). */
export function wasmKind(bytes: Uint8Array): WasmKind {
  if (bytes.length < HEADER_LENGTH || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new WasmFormatError(
      'WASM_NOT_WASM',
      bytes.length < 4
        ? `not WebAssembly: only ${bytes.length} bytes`
        : 'not WebAssembly: the file does not start with \\0asm',
    );
  }
  const version = bytes[4]! | (bytes[5]! << 8);
  const layer = bytes[6]! | (bytes[7]! << 8);
  if (version === 1 && layer === 0) return 'module';
  if (layer === 1) return 'component';
  throw new WasmFormatError(
    'WASM_UNSUPPORTED_VERSION',
    `unsupported WebAssembly version ${version}, layer ${layer}`,
  );
}

/** Reads an unsigned LEB128 u32 at `offset`: its value and the offset after it. */
export function readU32Leb(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    const byte = bytes[offset + i];
    if (byte === undefined)
      throw new WasmFormatError('WASM_TRUNCATED', `truncated WebAssembly: cut off at byte ${offset + i}`);
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: offset + i + 1 };
    shift += 7;
  }
  throw new WasmFormatError(
    'WASM_MALFORMED',
    `malformed WebAssembly: a length at byte ${offset} is too long`,
  );
}

/** Walks every top-level section, checking each lies inside the file. Throws WasmFormatError otherwise. */
export function wasmSections(bytes: Uint8Array): { kind: WasmKind; sections: WasmSection[] } {
  const kind = wasmKind(bytes);
  const sections: WasmSection[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = HEADER_LENGTH;
  while (offset < bytes.length) {
    const start = offset;
    const id = bytes[offset]!;
    const size = readU32Leb(bytes, offset + 1);
    const end = size.next + size.value;
    if (end > bytes.length) {
      throw new WasmFormatError(
        'WASM_TRUNCATED',
        `truncated WebAssembly: section ${id} at byte ${start} needs ${end - bytes.length} more bytes`,
      );
    }
    const section: WasmSection = { id, start, end };
    if (id === 0) {
      const nameLength = readU32Leb(bytes, size.next);
      if (nameLength.next + nameLength.value > end) {
        throw new WasmFormatError(
          'WASM_MALFORMED',
          `malformed WebAssembly: custom section at byte ${start} has a bad name`,
        );
      }
      try {
        section.name = decoder.decode(bytes.subarray(nameLength.next, nameLength.next + nameLength.value));
      } catch {
        throw new WasmFormatError(
          'WASM_MALFORMED',
          `malformed WebAssembly: custom section name at byte ${start} is not UTF-8`,
        );
      }
    }
    sections.push(section);
    offset = end;
  }
  return { kind, sections };
}

function isClaimsSection(section: WasmSection): boolean {
  return section.id === 0 && (CLAIMS_SECTION_NAMES as readonly string[]).includes(section.name ?? '');
}

function customSectionPayloadStart(bytes: Uint8Array, section: WasmSection): number {
  const size = readU32Leb(bytes, section.start + 1);
  const name = readU32Leb(bytes, size.next);
  return name.next + name.value;
}

/** The embedded claims token, or undefined when the bytes carry none. */
export function extractClaimsToken(bytes: Uint8Array): string | undefined {
  const { sections } = wasmSections(bytes);
  // A later section wins, as wascap reads the last one it finds.
  const section = sections.findLast(isClaimsSection);
  if (!section) return undefined;
  return Buffer.from(bytes.subarray(customSectionPayloadStart(bytes, section), section.end)).toString('utf8');
}

/** The bytes without any claims section: what the module hash is computed over. */
export function stripClaims(bytes: Uint8Array): Uint8Array {
  const { sections } = wasmSections(bytes);
  const claims = sections.filter(isClaimsSection);
  if (claims.length === 0) return bytes;
  const parts: Uint8Array[] = [];
  let cursor = 0;
  for (const section of claims) {
    parts.push(bytes.subarray(cursor, section.start));
    cursor = section.end;
  }
  parts.push(bytes.subarray(cursor));
  return Buffer.concat(parts);
}

/** Upper-hex SHA-256 of the bytes without their claims section, as recorded in `wascap.hash`. */
export function moduleHash(bytes: Uint8Array): string {
  return createHash('sha256').update(stripClaims(bytes)).digest('hex').toUpperCase();
}

/** The unsigned LEB128 bytes of `value`. */
export function encodeU32Leb(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    let byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    out.push(byte);
  } while (rest > 0);
  return out;
}

/** Returns the bytes with any old claims removed and `token` appended in a `jwt` custom section. */
export function embedClaims(bytes: Uint8Array, token: string): Uint8Array {
  const stripped = stripClaims(bytes);
  const name = Buffer.from(WRITTEN_SECTION_NAME);
  const payload = Buffer.from(token);
  const content = [...encodeU32Leb(name.length), ...name, ...payload];
  const header = [0, ...encodeU32Leb(content.length)];
  return Buffer.concat([stripped, Uint8Array.from(header), Uint8Array.from(content)]);
}
