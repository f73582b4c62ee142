// host/runtime/transpile-cache.ts: the next component of the same shape (only its core modules'
// initial memory differs, as between two `wash dev` builds, and its claims) reuses the last transpile,
// with files byte for byte those jco writes; a component of another shape is transpiled.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { describe, expect, it } from 'vitest';
import { TranspileCache } from '../../host/runtime/transpile-cache.ts';
import { framedSections } from '../../lattice/wasm-sections.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';

const BUILD = join(REPO_ROOT, 'actors', 'build');
type Transpiled = Awaited<ReturnType<typeof transpileBytes>>;
const transpile = (bytes: Uint8Array) =>
  transpileBytes(bytes, { name: 'actor', instantiation: { tag: 'async' } });

/** The component with the last byte of its main core module's data section flipped (still valid). */
function otherMemory(component: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(component);
  const main = framedSections(copy).find((section) => section.id === 1)!;
  const data = framedSections(main.bytes.subarray(main.contentAt)).find((section) => section.id === 11)!;
  const last = data.bytes.byteOffset - copy.byteOffset + data.bytes.length - 1;
  copy[last] = (copy[last] ?? 0) ^ 0x5a;
  return copy;
}

describe('the transpile cache', () => {
  it('remakes the last transpile for a new memory, and transpiles another shape', async () => {
    const signed = readFileSync(join(BUILD, 'echo_s.wasm'));
    const edited = otherMemory(readFileSync(join(BUILD, 'echo.wasm')));
    const cache = new TranspileCache<Transpiled>();
    const calls: Uint8Array[] = [];
    const counted = (bytes: Uint8Array) => {
      calls.push(bytes);
      return transpile(bytes);
    };
    await cache.transpile(signed, counted);
    expect(calls).toHaveLength(1);
    const remade = await cache.transpile(edited, counted);
    expect(calls).toHaveLength(1); // unsigned, another memory: the same shape
    const expected = await transpile(edited);
    expect(Object.keys(remade.files).sort()).toEqual(Object.keys(expected.files).sort());
    for (const [name, file] of Object.entries(expected.files))
      expect(Buffer.compare(Buffer.from(remade.files[name]!), Buffer.from(file)), name).toBe(0);
    expect(remade.imports).toEqual(expected.imports);
    expect(remade.exports).toEqual(expected.exports);

    await cache.transpile(readFileSync(join(BUILD, 'wasi-probe.wasm')), counted);
    expect(calls).toHaveLength(2);
  }, 120_000);
});
