// wash-cli/project/splice-cache.ts: a rebuild of the same WIT world reuses componentize-js's spliced
// engine, and a change to any WIT file splices again. Also fails loudly if componentize-js moves
// the internal module the cache wraps (the cache would then silently stop working).

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheSplicedBindings } from '../../wash-cli/project/splice-cache.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'splice-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the spliced-bindings cache', () => {
  it('returns the same splice for the same world, and splices again when a WIT file changes', async () => {
    await cacheSplicedBindings();
    const base = new URL('../../node_modules/@bytecodealliance/componentize-js/', import.meta.url);
    const { splicer } = (await import(new URL('lib/spidermonkey-embedding-splicer.js', base).href)) as {
      splicer: { spliceBindings: (...args: unknown[]) => unknown };
    };
    expect(String(splicer.spliceBindings)).toContain('witDigest');
    const engine = readFileSync(new URL('lib/starlingmonkey_embedding.wasm', base));
    const wit = join(dir, 'wit');
    cpSync(join(REPO_ROOT, 'actors', 'echo', 'world.wit'), join(wit, 'world.wit'));
    for (const contract of ['builtin', 'httpserver'])
      cpSync(
        join(REPO_ROOT, 'actors', 'wit', `${contract}.wit`),
        join(wit, 'deps', contract, `${contract}.wit`),
      );
    const splice = () => splicer.spliceBindings(engine, [], null, wit, 'echo', false);
    const first = splice();
    expect(splice()).toBe(first);
    writeFileSync(join(wit, 'world.wit'), `${readFileSync(join(wit, 'world.wit'), 'utf8')}\n// changed\n`);
    expect(splice()).not.toBe(first);
  }, 120_000);
});
