// Rebuilds of a TypeScript actor skip componentize-js's most costly step that does not depend on
// the source: splicing the WIT world's bindings into the StarlingMonkey engine (2–3 s of a 5–10 s
// build here). componentize() calls `splicer.spliceBindings(engine, features, witWorld, witPath,
// worldName, debug)` on an object its own module exports; wrapping that method on the shared
// module instance remembers the last result, keyed by the features, the world and the bytes of
// every file under the WIT folder. The module is componentize-js's internal file (not in its
// exports), so when it is not where this expects, builds just run without the cache.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

type Splice = (...args: unknown[]) => unknown;

/** componentize-js's splicer (jco's transpile of its Rust splicer), as warm-componentize.ts calls it. */
export interface Splicer {
  spliceBindings(
    engine: Uint8Array,
    features: string[],
    witWorld: string | undefined,
    witPath: string,
    worldName: string,
    debug: boolean,
  ): {
    wasm: Uint8Array;
    jsBindings: string;
    exports: SplicedExport[];
    imports: Array<[string, string, number]>;
  };
  stubWasi(
    wasm: Uint8Array,
    features: string[],
    witWorld: string | undefined,
    witPath: string,
    worldName: string,
  ): Uint8Array;
}

export type SplicedExport = [
  string,
  { paramptr: boolean; params: string[]; retptr: boolean; ret?: string; retsize: number },
];

let installed: Promise<Splicer | undefined> | undefined;

/** A digest of every file under a WIT folder, names and bytes. */
export function witDigest(dir: string): string {
  const hash = createHash('sha256');
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true }).sort((a, b) =>
    join(a.parentPath, a.name).localeCompare(join(b.parentPath, b.name)),
  )) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    hash.update(path).update(readFileSync(path));
  }
  return hash.digest('hex');
}

async function install(): Promise<Splicer | undefined> {
  try {
    // Its src/componentize.js imports ../lib/spidermonkey-embedding-splicer.js: the same URL here is
    // the same module instance, so the object patched is the one componentize() calls.
    const entry = import.meta.resolve('@bytecodealliance/componentize-js');
    const file = new URL('../lib/spidermonkey-embedding-splicer.js', entry);
    const { splicer } = (await import(file.href)) as { splicer?: Record<string, unknown> };
    const original = splicer?.spliceBindings;
    if (splicer === undefined || typeof original !== 'function') return undefined;
    let last: { key: string; result: unknown } | undefined;
    splicer.spliceBindings = ((engine: Uint8Array, features, witWorld, witPath, worldName, debug) => {
      const key = JSON.stringify([
        engine.length,
        features,
        witWorld,
        worldName,
        debug,
        witDigest(String(witPath)),
      ]);
      if (last?.key === key) return last.result;
      const result = (original as Splice)(engine, features, witWorld, witPath, worldName, debug);
      last = { key, result };
      return result;
    }) as Splice;
    return splicer as unknown as Splicer;
  } catch {
    // Not the componentize-js layout this expects (another version): build without the cache.
    return undefined;
  }
}

/**
 * Puts the cache in place once per process; safe to call before every build. The splicer it
 * wrapped, or undefined when componentize-js is not laid out as expected.
 */
export function cacheSplicedBindings(): Promise<Splicer | undefined> {
  installed ??= install();
  return installed;
}
