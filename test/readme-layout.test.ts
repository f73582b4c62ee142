// Keeps the README's "Layout" block and docs/architecture.md true to the tree: every path they
// name exists, every top-level folder is in the layout, and so is every file and folder directly
// inside lattice/ and host/ (the rooms a newcomer reads first), so a file added there without a
// line in the README fails here, naming it.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/fixtures.ts';

/** Tracked files and new ones not ignored: the tree as a clean clone (or a commit) would have it. */
const TREE: readonly string[] = execFileSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard'],
  { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
)
  .split('\n')
  .filter((path) => path !== '' && !path.startsWith('.'));

const FILES = new Set(TREE);
const FOLDERS = new Set(
  TREE.flatMap((path) => {
    const parts = path.split('/');
    return parts.slice(1).map((_part, i) => `${parts.slice(0, i + 1).join('/')}/`);
  }),
);

function exists(path: string): boolean {
  return path.endsWith('/') ? FOLDERS.has(path) : FILES.has(path) || FOLDERS.has(`${path}/`);
}

/** `invocation*.ts` matches the way a shell would; anything else is itself. */
function matcher(pattern: string): (path: string) => boolean {
  if (!pattern.includes('*')) return (path) => path === pattern;
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*');
  const regex = new RegExp(`^${escaped}$`);
  return (path) => regex.test(path);
}

/**
 * The paths the layout block names. A line at column 0 names a top-level entry (`lattice/`); a line
 * indented by exactly two spaces names entries inside the last top-level folder, several separated
 * by ", ", then two or more spaces and the description. Deeper lines continue a description.
 */
function layoutPaths(readme: string): string[] {
  const block = /## Layout\n+```\n([\s\S]*?)\n```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('README.md has no "## Layout" section with a ``` block');
  const paths: string[] = [];
  let folder = '';
  for (const line of block.split('\n')) {
    const top = /^(\S+)(?: {2,}|$)/.exec(line);
    if (top) {
      folder = top[1]!;
      paths.push(folder);
      continue;
    }
    const inner = /^ {2}(\S.*?)(?: {2,}|$)/.exec(line);
    if (inner) for (const name of inner[1]!.split(', ')) paths.push(`${folder}${name}`);
  }
  return paths;
}

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const LAYOUT = layoutPaths(README);
const NAMED = LAYOUT.map(matcher);

/** A folder counts as named when the layout names it or something inside it (`rpc/outbound.ts`). */
function named(path: string): boolean {
  if (path.endsWith('/') && LAYOUT.some((entry) => entry.startsWith(path))) return true;
  return NAMED.some((matches) => matches(path));
}

/** Files and folders directly inside `folder/`, folders with a trailing slash. */
function childrenOf(folder: string): string[] {
  return [...FILES, ...FOLDERS].filter((path) => {
    if (!path.startsWith(`${folder}/`)) return false;
    const rest = path.slice(folder.length + 1).replace(/\/$/, '');
    return rest !== '' && !rest.includes('/');
  });
}

describe('README.md layout', () => {
  it('reads the layout block (the parser itself works)', () => {
    expect(LAYOUT).toContain('lattice/');
    expect(LAYOUT).toContain('lattice/nats.ts');
    expect(LAYOUT.length).toBeGreaterThan(40);
  });

  it('names only paths that exist', () => {
    const missing = LAYOUT.filter((path) => !TREE.some(matcher(path)) && !exists(path));
    expect(missing, `the README's layout names paths the tree does not have:\n${missing.join('\n')}`).toEqual(
      [],
    );
  });

  it('names every top-level folder', () => {
    const folders = [...FOLDERS].filter((path) => path.split('/').length === 2);
    const unnamed = folders.filter((path) => !named(path));
    expect(unnamed, `top-level folders missing from the README's layout:\n${unnamed.join('\n')}`).toEqual([]);
  });

  for (const room of ['lattice', 'host']) {
    it(`names every file and folder directly inside ${room}/`, () => {
      const unnamed = childrenOf(room).filter((path) => !named(path));
      expect(unnamed, `${room}/ entries missing from the README's layout:\n${unnamed.join('\n')}`).toEqual(
        [],
      );
    });
  }

  it('points newcomers to docs/architecture.md', () => {
    expect(README.includes('docs/architecture.md'), 'README.md does not mention docs/architecture.md').toBe(
      true,
    );
  });
});

describe('docs/architecture.md', () => {
  it('names only files and folders that exist', () => {
    const text = readFileSync(join(REPO_ROOT, 'docs', 'architecture.md'), 'utf8');
    const rooms = 'lattice|host|providers|wash-cli|dashboard|actors|bench|test|docs|charts|scripts';
    const mentioned = [
      ...new Set(
        [...text.matchAll(new RegExp(`(?<![\\w./-])(?:${rooms})/[\\w./-]*[\\w/]`, 'g'))].map(
          ([path]) => path,
        ),
      ),
    ];
    expect(mentioned.length).toBeGreaterThan(40);
    const missing = mentioned.filter((path) => !exists(path));
    expect(
      missing,
      `docs/architecture.md names paths the tree does not have:\n${missing.join('\n')}`,
    ).toEqual([]);
  });
});
