// wash-cli/project/warm-componentize.ts and its parts: the engine pre-initialized in this process
// (wasm-snapshot.ts) gives a component that componentize-js's last steps accept, and from the second
// build on, the last component with the new memory swapped in (component-transplant.ts) is the one
// those steps would make, byte for byte but for the clock stubWasi freezes at the time it runs. An
// error thrown while the actor's module is evaluated fails the build with the engine's message.

import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { framedSections } from '../../lattice/wasm-sections.ts';
import { transplantSnapshot } from '../../wash-cli/project/component-transplant.ts';
import { cacheSplicedBindings } from '../../wash-cli/project/splice-cache.ts';
import {
  componentizeWarm,
  finishComponent,
  initEnvironment,
} from '../../wash-cli/project/warm-componentize.ts';
import { WasmSnapshotter } from '../../wash-cli/project/wasm-snapshot.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'warm-componentize-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HELLO = join(REPO_ROOT, 'wash-cli', 'templates', 'actor-hello');
const source = readFileSync(join(HELLO, 'src', 'actor.ts'), 'utf8').replaceAll('{{name}}', 'hello');

function witFolder(): string {
  const wit = join(dir, 'wit');
  mkdirSync(wit, { recursive: true });
  const world = readFileSync(join(HELLO, 'wit-world.wit'), 'utf8');
  writeFileSync(
    join(wit, 'world.wit'),
    world.replaceAll('{{package}}', 'local').replaceAll('{{name}}', 'hello'),
  );
  for (const contract of ['builtin', 'httpserver'])
    cpSync(
      join(REPO_ROOT, 'actors', 'wit', `${contract}.wit`),
      join(wit, 'deps', contract, `${contract}.wit`),
    );
  return wit;
}

/** A build context whose actor.ts says `greeting`. */
function context(name: string, text: string) {
  const actorDir = join(dir, name);
  const workDir = join(dir, `${name}-work`);
  mkdirSync(actorDir, { recursive: true });
  mkdirSync(workDir, { recursive: true });
  writeFileSync(join(actorDir, 'actor.ts'), text);
  return { actorDir, workDir, witDir: witFolder(), buildDir: workDir };
}

const greeting = (words: string) => source.replace(/const GREETING = '[^']*'/, `const GREETING = '${words}'`);

describe('componentize-js steps kept warm', () => {
  it('swaps a new memory into the last component: the component the last steps would make', async () => {
    const splicer = await cacheSplicedBindings();
    expect(splicer).toBeDefined();
    if (splicer === undefined) return;
    const wit = witFolder();
    const engine = readFileSync(
      new URL(
        '../../node_modules/@bytecodealliance/componentize-js/lib/starlingmonkey_embedding.wasm',
        import.meta.url,
      ),
    );
    const splice = splicer.spliceBindings(engine, [], undefined, wit, 'hello', false);
    const snapshotter = await WasmSnapshotter.compile(splice.wasm);
    const core = (name: string, words: string) => {
      const build = context(name, greeting(words));
      writeFileSync(
        join(build.workDir, 'actor.js'),
        stripTypeScriptTypes(greeting(words), { mode: 'strip' }),
      );
      writeFileSync(join(build.workDir, 'initializer.js'), splice.jsBindings);
      const env = initEnvironment(splice);
      return snapshotter.run({
        initFunction: 'componentize.wizer',
        env,
        preopens: { '/': build.workDir },
        stdin: `--initializer-script-path /initializer.js --strip-path-prefix ${build.workDir}/ actor.js`,
        stdinPath: join(build.workDir, 'stdin'),
        stderrPath: join(build.workDir, 'stderr'),
      });
    };
    const first = core('first', 'Hello');
    const second = core('second', 'Howdy, a longer greeting than the first');
    expect(Buffer.from(second).includes('Howdy, a longer greeting')).toBe(true);
    const firstComponent = await finishComponent(splicer, wit, 'hello', first);
    const made = await finishComponent(splicer, wit, 'hello', second);
    const swapped = transplantSnapshot(firstComponent, first, second);
    expect(swapped).toBeDefined();
    if (swapped === undefined) return;
    // Section by section, the main core module included: only its code may differ, in the clock
    // constants stubWasi writes (two i64.const of the time it ran).
    const outer = (bytes: Uint8Array) => framedSections(bytes);
    expect(outer(swapped).map((s) => s.id)).toEqual(outer(made).map((s) => s.id));
    for (const [index, section] of outer(swapped).entries()) {
      const other = outer(made)[index]!;
      if (section.id !== 1) {
        expect(Buffer.compare(section.bytes, other.bytes)).toBe(0);
        continue;
      }
      const inner = framedSections(section.bytes.subarray(section.contentAt));
      const innerMade = framedSections(other.bytes.subarray(other.contentAt));
      expect(inner.map((s) => s.id)).toEqual(innerMade.map((s) => s.id));
      for (const [at, part] of inner.entries()) {
        const expected = innerMade[at]!;
        if (part.id !== 10) {
          expect(Buffer.compare(part.bytes, expected.bytes)).toBe(0);
          continue;
        }
        expect(part.bytes.length).toBe(expected.bytes.length);
        let differing = 0;
        for (let i = 0; i < part.bytes.length; i++) if (part.bytes[i] !== expected.bytes[i]) differing++;
        expect(differing).toBeLessThanOrEqual(20);
      }
    }
    // A change beyond the memory (here: the code) is not swapped.
    const otherCode = Uint8Array.from(second);
    const code = framedSections(otherCode).find((s) => s.id === 10)!;
    const last = code.bytes.byteOffset - otherCode.byteOffset + code.bytes.length - 2;
    otherCode[last] = (otherCode[last] ?? 0) ^ 1;
    expect(transplantSnapshot(firstComponent, first, otherCode)).toBeUndefined();
  }, 240_000);

  it('builds edit after edit, and an error while the module is evaluated fails with its message', async () => {
    const first = await componentizeWarm(context('a', greeting('One')), 'actor.ts', 'hello');
    const second = await componentizeWarm(context('b', greeting('Two')), 'actor.ts', 'hello');
    expect(Buffer.from(first).includes('One')).toBe(true);
    expect(Buffer.from(second).includes('Two')).toBe(true);
    expect(Buffer.from(second).includes("'One'")).toBe(false);
    const broken = `${greeting('Three')}\nthrow new Error('broken at load');\n`;
    const third = context('c', broken);
    const failure = await componentizeWarm(third, 'actor.ts', 'hello').then(
      () => '',
      (error: unknown) => String(error),
    );
    expect(failure).toMatch(/Failed to initialize component:[\s\S]*broken at load/);
    // Where, with the scratch folder wash build replaces by the project's path.
    expect(failure).toContain(`${third.workDir}/actor.js:${broken.split('\n').length - 1}:`);
  }, 240_000);
});
