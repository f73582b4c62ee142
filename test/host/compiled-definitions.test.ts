// host/runtime/actor-loader.ts keeps each module's compiled definition while an actor runs it, and
// lets it go once none does (a live update's old version, a stopped actor): before, every version
// wash dev loaded stayed, ~13 MB each for a JS component (a host grew 389 → 563 MB in 15 edits).

import { afterAll, describe, expect, it } from 'vitest';
import { compiledDefinitions } from '../../host/runtime/actor-loader.ts';
import { ActorRuntime } from '../../host/runtime/runtime.ts';
import { builtActor } from '../helpers/actors.ts';

const runtime = new ActorRuntime({
  workers: 1,
  log: () => undefined,
  hostCall: async () => new Uint8Array(),
});
afterAll(() => runtime.close());

describe('compiled definitions', () => {
  it('are kept while an actor runs them and let go when none does', async () => {
    expect(compiledDefinitions()).toBe(0);
    const kvcounter = await runtime.load(builtActor('wasmbus-kvcounter'));
    const echo = await runtime.load(builtActor('wasmbus-echo'));
    expect(compiledDefinitions()).toBe(2);
    await runtime.load(builtActor('wasmbus-echo')); // loaded again: compiled once
    expect(compiledDefinitions()).toBe(2);
    runtime.unload(kvcounter.id);
    expect(compiledDefinitions()).toBe(1);
    runtime.unload(echo.id);
    expect(compiledDefinitions()).toBe(0);
  });
});
