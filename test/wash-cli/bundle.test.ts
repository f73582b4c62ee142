// wash's executable runs the bundle `npm run build` makes (wash-cli/build.ts → dist/wash.js) while
// it matches its sources, and the .ts sources otherwise (issue 18, item 5: a command loads a few
// bundled files instead of ~300 modules). The bundle must behave as the sources do: the other wash
// tests run through the same executable (test/helpers/wash.ts).

import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import { NODE_24 } from '../helpers/wash.ts';

const WASH = join(REPO_ROOT, 'wash-cli', 'wash.js');
const RECORDER = join(REPO_ROOT, 'test', 'fixtures', 'host', 'record-loaded-modules.ts');

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-wash-bundle-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the bundled wash', () => {
  it('runs from dist/ when current, loading no TypeScript source of its own', () => {
    const list = join(dir, 'loaded.txt');
    const help = execFileSync(NODE_24, [WASH, 'keys', '--help'], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: `--import ${RECORDER}`, LOADED_MODULES_FILE: list },
    });
    expect(help).toContain('gen');
    const loaded = readFileSync(list, 'utf8').trim().split('\n');
    expect(loaded).toContain(`file://${join(REPO_ROOT, 'dist', 'wash.js')}`);
    expect(loaded.filter((url) => url.includes('/wash-cli/') && url.endsWith('.ts'))).toEqual([]);
  });
});

describe("wash.js's choice between the bundle and the sources", () => {
  /** A checkout with a bundle that prints "bundle" and sources that print "sources". */
  function fakeCheckout(): { root: string; run: () => string } {
    const root = mkdtempSync(join(dir, 'checkout-'));
    mkdirSync(join(root, 'wash-cli'));
    mkdirSync(join(root, 'dist'));
    copyFileSync(WASH, join(root, 'wash-cli', 'wash.js'));
    const program = (said: string) =>
      `export const buildProgram = async () => ({ parseAsync: async () => console.log('${said}') });\n`;
    writeFileSync(join(root, 'wash-cli', 'main.ts'), program('sources'));
    writeFileSync(join(root, 'dist', 'wash.js'), program('bundle'));
    writeFileSync(join(root, 'dist', 'wash-build.json'), JSON.stringify({ inputs: ['wash-cli/main.ts'] }));
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(root, 'wash-cli', 'main.ts'), past, past);
    const run = () => execFileSync(NODE_24, [join(root, 'wash-cli', 'wash.js')], { encoding: 'utf8' }).trim();
    return { root, run };
  }

  it('takes the bundle while no source changed since it was built', () => {
    expect(fakeCheckout().run()).toBe('bundle');
  });

  it('takes the sources once one changed after the build (an edit, a pull)', () => {
    const checkout = fakeCheckout();
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(checkout.root, 'wash-cli', 'main.ts'), future, future);
    expect(checkout.run()).toBe('sources');
  });

  it('takes the sources when a file the bundle was made from is gone, or the manifest is unreadable', () => {
    const gone = fakeCheckout();
    writeFileSync(
      join(gone.root, 'dist', 'wash-build.json'),
      JSON.stringify({ inputs: ['wash-cli/gone.ts'] }),
    );
    expect(gone.run()).toBe('sources');
    const broken = fakeCheckout();
    writeFileSync(join(broken.root, 'dist', 'wash-build.json'), '{not json');
    expect(broken.run()).toBe('sources');
  });
});
