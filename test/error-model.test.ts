// The error model (lattice/errors.ts), checked on every test run: only the catalogues' base classes
// extend Error, each layer's error classes extend its own base, nothing reads `(error as Error)
// .message` (errorMessage() says the same of anything thrown), every silent `.catch(() => …)`
// says why silence is right, and docs/errors.md lists exactly the catalogues' codes. A broken rule
// fails naming each file and line that breaks it.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_LAYERS, ERRORS_DOC, renderErrorsDoc } from './helpers/errors-doc.ts';
import { REPO_ROOT } from './helpers/fixtures.ts';

interface SourceFile {
  /** Repository-relative path. */
  path: string;
  lines: string[];
}

function sourceFiles(folder: string): SourceFile[] {
  const root = join(REPO_ROOT, folder);
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => !/[/\\](node_modules|build|dist)[/\\]/.test(path))
    .map((path) => ({ path: relative(REPO_ROOT, path), lines: readFileSync(path, 'utf8').split('\n') }));
}

/** Every line of `files` that `pattern` matches, as `file:line: text`. */
function matches(
  files: SourceFile[],
  pattern: RegExp,
  allowed: (file: SourceFile, index: number) => boolean,
) {
  return files.flatMap((file) =>
    file.lines.flatMap((line, index) =>
      pattern.test(line) && !allowed(file, index) ? [`${file.path}:${index + 1}: ${line.trim()}`] : [],
    ),
  );
}

/** The product's rooms: each is one layer of the error model. */
const PRODUCT = ['lattice', 'host', 'providers', 'wash-cli', 'dashboard', 'controller'];
const PRODUCT_FILES = PRODUCT.flatMap(sourceFiles);
/** Where errorMessage() and reasoned catches are the rule too. */
const CODE_FILES = [...PRODUCT_FILES, ...['bench', 'actors', 'test/helpers'].flatMap(sourceFiles)];

/** The layers whose error classes must extend their own base (not LatticeError directly). */
const LAYER_BASES = ERROR_LAYERS.filter((layer) => layer.name !== 'lattice').map((layer) => ({
  folder: layer.file.split('/')[0] ?? '',
  catalogueFile: layer.file,
  base: layer.base,
}));

describe('the error model', () => {
  it('finds the files it checks (the scanner itself works)', () => {
    expect(PRODUCT_FILES.some((file) => file.path === join('lattice', 'errors.ts'))).toBe(true);
    expect(CODE_FILES.some((file) => file.path.startsWith(join('test', 'helpers')))).toBe(true);
    expect(matches(PRODUCT_FILES, /class LatticeError\b.* extends Error\b/, () => false)).toHaveLength(1);
  });

  it('only LatticeError extends Error: every other error is a coded error of a catalogue', () => {
    const breaks = matches(
      PRODUCT_FILES,
      /\bextends\s+Error\b/,
      (file, index) =>
        file.path === join('lattice', 'errors.ts') && /class LatticeError\b/.test(file.lines[index] ?? ''),
    );
    expect(
      breaks,
      `rule broken: extend the layer's base error (lattice/errors.ts explains the model), not Error\n${breaks.join('\n')}`,
    ).toEqual([]);
  });

  for (const { folder, catalogueFile, base } of LAYER_BASES) {
    it(`${folder}/ error classes extend ${base} (${catalogueFile}), not LatticeError`, () => {
      const files = PRODUCT_FILES.filter((file) => file.path.startsWith(`${folder}/`));
      const breaks = matches(
        files,
        /\bclass\s.*\bextends\s+LatticeError\b/,
        (file) => file.path === catalogueFile,
      );
      expect(breaks, `rule broken: ${folder}/ errors extend ${base}\n${breaks.join('\n')}`).toEqual([]);
    });
  }

  it('lattice/ error classes take only catalogued codes (LatticeError<LatticeErrorCode>)', () => {
    const files = PRODUCT_FILES.filter((file) => file.path.startsWith('lattice/'));
    const breaks = matches(files, /\bclass\s.*\bextends\s+LatticeError(?!<)\b/, () => false);
    expect(breaks, `rule broken: a lattice error extends LatticeError<…Code>\n${breaks.join('\n')}`).toEqual(
      [],
    );
  });

  it('nothing casts to read a message: errorMessage(error) does it for anything thrown', () => {
    const breaks = matches(CODE_FILES, /\(\s*\w+\s+as\s+Error\s*\)/, () => false);
    expect(
      breaks,
      `rule broken: use errorMessage() from lattice/errors.ts, not (error as Error).message\n${breaks.join('\n')}`,
    ).toEqual([]);
  });

  it('every silent catch says why silence is right (a comment on its line or just above)', () => {
    const silent = /\.catch\(\(\)\s*=>\s*(undefined|null|\{\s*\})\s*\)/;
    const reasoned = (file: SourceFile, index: number) =>
      file.lines.slice(Math.max(0, index - 3), index + 1).some((line) => /\/\/|\/\*|^\s*\*/.test(line));
    const breaks = matches(CODE_FILES, silent, reasoned);
    expect(
      breaks,
      `rule broken: a silent .catch() needs a comment saying why, or a debug log line with the reason\n${breaks.join('\n')}`,
    ).toEqual([]);
  });

  it('every code is UPPER_SNAKE_CASE, has a meaning, and belongs to one layer', () => {
    // ACTOR_ERROR means the same in both: the actor answered with an error of its own.
    const shared = new Set(['ACTOR_ERROR']);
    const owners = new Map<string, string[]>();
    for (const layer of ERROR_LAYERS) {
      for (const [code, meaning] of Object.entries(layer.catalogue)) {
        expect(code, `${layer.file}: ${code}`).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
        expect(meaning.trim(), `${layer.file}: ${code} needs a meaning`).not.toBe('');
        owners.set(code, [...(owners.get(code) ?? []), layer.name]);
      }
    }
    const twice = [...owners].filter(([code, layers]) => layers.length > 1 && !shared.has(code));
    expect(twice.map(([code, layers]) => `${code}: ${layers.join(', ')}`)).toEqual([]);
  });

  it('docs/errors.md lists exactly the catalogues’ codes, with their meanings', () => {
    const written = readFileSync(ERRORS_DOC, 'utf8');
    expect(
      written === renderErrorsDoc(),
      'docs/errors.md differs from the catalogues: run `npx node test/helpers/errors-doc.ts` to write it again',
    ).toBe(true);
    for (const layer of ERROR_LAYERS)
      for (const code of Object.keys(layer.catalogue)) expect(written).toContain(`\`${code}\``);
  });
});
