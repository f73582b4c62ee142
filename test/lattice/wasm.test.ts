import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WasmFormatError } from '../../lattice/errors.ts';
import {
  embedClaims,
  extractClaimsToken,
  moduleHash,
  stripClaims,
  wasmKind,
  wasmSections,
} from '../../lattice/wasm.ts';
import { ANSWER_MODULE, EMPTY_COMPONENT, runAnswer } from '../helpers/wasm-fixtures.ts';

function customSection(name: string, payload: string): Uint8Array {
  const body = Buffer.concat([Buffer.from([name.length]), Buffer.from(name), Buffer.from(payload)]);
  return Buffer.concat([Buffer.from([0, body.length]), body]);
}

describe('wasm sections', () => {
  it('tells a core module from a component', () => {
    expect(wasmKind(ANSWER_MODULE)).toBe('module');
    expect(wasmKind(EMPTY_COMPONENT)).toBe('component');
  });

  it('walks the sections of a module', () => {
    const { sections } = wasmSections(ANSWER_MODULE);
    expect(sections.map((s) => s.id)).toEqual([1, 3, 7, 10]);
    expect(sections.at(-1)!.end).toBe(ANSWER_MODULE.length);
  });

  it('embeds a token that is read back, keeps the module runnable, and does not change the hash', () => {
    const signed = embedClaims(ANSWER_MODULE, 'a.b.c');
    expect(extractClaimsToken(signed)).toBe('a.b.c');
    expect(runAnswer(signed)).toBe(42);
    expect(moduleHash(signed)).toBe(moduleHash(ANSWER_MODULE));
    expect(moduleHash(ANSWER_MODULE)).toBe(
      createHash('sha256').update(ANSWER_MODULE).digest('hex').toUpperCase(),
    );
    expect(Buffer.from(stripClaims(signed)).equals(ANSWER_MODULE)).toBe(true);
    // Re-signing replaces the old token rather than adding a second one.
    const resigned = embedClaims(signed, 'd.e.f');
    expect(extractClaimsToken(resigned)).toBe('d.e.f');
    expect(wasmSections(resigned).sections.filter((s) => s.id === 0)).toHaveLength(1);
  });

  it('embeds in components the same way', () => {
    const signed = embedClaims(EMPTY_COMPONENT, 'x.y.z');
    expect(wasmKind(signed)).toBe('component');
    expect(extractClaimsToken(signed)).toBe('x.y.z');
    expect(moduleHash(signed)).toBe(moduleHash(EMPTY_COMPONENT));
  });

  it('reads the wascap ≥ 0.9 section name wasmcloud_jwt too', () => {
    const bytes = Buffer.concat([ANSWER_MODULE, customSection('wasmcloud_jwt', 'new.style.token')]);
    expect(extractClaimsToken(bytes)).toBe('new.style.token');
    expect(moduleHash(bytes)).toBe(moduleHash(ANSWER_MODULE));
  });

  it('returns undefined for unsigned bytes', () => {
    expect(extractClaimsToken(ANSWER_MODULE)).toBeUndefined();
  });

  it('refuses bytes that are not wasm, truncated or malformed, with a clear reason', () => {
    expect(() => wasmKind(Buffer.from('#!/bin/sh\necho hi\n'))).toThrow(/does not start with \\0asm/);
    expect(() => wasmKind(new Uint8Array(0))).toThrow(/only 0 bytes/);
    expect(() => wasmKind(Uint8Array.from([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]))).toThrow(
      /unsupported WebAssembly version 2/,
    );
    const truncated = ANSWER_MODULE.subarray(0, ANSWER_MODULE.length - 3);
    expect(() => wasmSections(truncated)).toThrow(expect.objectContaining({ code: 'WASM_TRUNCATED' }));
    expect(() => extractClaimsToken(truncated)).toThrow(WasmFormatError);
    const badLeb = Buffer.concat([
      ANSWER_MODULE.subarray(0, 8),
      Buffer.from([1, 0xff, 0xff, 0xff, 0xff, 0xff]),
    ]);
    expect(() => wasmSections(badLeb)).toThrow(/too long/);
    const badName = Buffer.concat([ANSWER_MODULE, Buffer.from([0, 2, 5, 0x61])]);
    expect(() => wasmSections(badName)).toThrow(/bad name/);
  });
});
