// The layering of design.md, checked on every test run: which top-level room may import which,
// and which file alone may import the NATS client. A broken rule fails with the rule's name and
// every import that breaks it.

import { readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/fixtures.ts';
import { importSpecifiers, packageName } from './helpers/import-graph.ts';

interface Import {
  /** Repository-relative path of the importing file. */
  file: string;
  specifier: string;
  /** The top-level folder a relative import lands in; undefined for packages. */
  targetRoom: string | undefined;
  /** The package a bare specifier names; undefined for relative imports. */
  targetPackage: string | undefined;
}

const ROOMS = ['lattice', 'host', 'dashboard', 'providers', 'wash-cli', 'controller', 'actors', 'bench'];

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'build' ? [] : sourceFiles(path);
    return /\.(?:ts|mts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

function importsOf(room: string): Import[] {
  return sourceFiles(join(REPO_ROOT, room)).flatMap((path) =>
    importSpecifiers(path, { typeOnly: true, urls: false }).map((specifier) => {
      const relativeImport = specifier.startsWith('.');
      return {
        file: relative(REPO_ROOT, path),
        specifier,
        targetRoom: relativeImport
          ? relative(REPO_ROOT, resolve(dirname(path), specifier)).split(sep)[0]
          : undefined,
        targetPackage: relativeImport || specifier.startsWith('node:') ? undefined : packageName(specifier),
      };
    }),
  );
}

const ALL_IMPORTS = new Map(ROOMS.map((room) => [room, importsOf(room)]));

function describeBreaks(breaks: Import[]): string {
  return breaks.map(({ file, specifier }) => `${file} imports ${specifier}`).join('\n');
}

/** Rules: a room must never import the rooms listed (design.md, "Dependency direction"). */
const NEVER_IMPORTS: Array<{ rule: string; room: string; forbidden: string[]; except?: string[] }> = [
  {
    rule: 'lattice/ is the ground floor: it imports no other room',
    room: 'lattice',
    forbidden: ['host', 'dashboard', 'providers', 'wash-cli', 'actors', 'bench', 'test'],
  },
  {
    rule: 'host/ never imports providers/ (share code through lattice/)',
    room: 'host',
    forbidden: ['providers', 'wash-cli', 'test'],
  },
  {
    rule: 'providers/ never imports host/ (share code through lattice/)',
    room: 'providers',
    forbidden: ['host', 'dashboard', 'wash-cli', 'test'],
  },
  {
    rule: 'dashboard/ imports only lattice/ (the host passes in what it needs: dashboard/host-services.ts)',
    room: 'dashboard',
    forbidden: ['host', 'providers', 'wash-cli', 'actors', 'bench', 'test'],
  },
  {
    rule: 'wash-cli/ is a lattice client: it never imports host/',
    room: 'wash-cli',
    forbidden: ['host', 'dashboard', 'providers', 'test'],
    // What wash hands to provider projects (issue 18): the SDK they import as wash/provider-sdk,
    // and the packaging `wash build` packs them with, as `npm run build` packs ours.
    except: ['providers/sdk/mod.ts', 'providers/packaging/mod.ts'],
  },
  {
    rule: 'controller/ is a lattice client like wash: it imports only lattice/',
    room: 'controller',
    forbidden: ['host', 'dashboard', 'providers', 'wash-cli', 'actors', 'bench', 'test'],
  },
];

/** The controller is a process of its own: only its tests and benchmarks reach into it. */
const MAY_IMPORT_CONTROLLER = new Set(['controller', 'bench', 'test']);

describe('architecture rules', () => {
  it('finds the imports it checks (the scanner itself works)', () => {
    const hostImports = ALL_IMPORTS.get('host') ?? [];
    expect(hostImports.some((entry) => entry.targetRoom === 'lattice')).toBe(true);
    expect(hostImports.some((entry) => entry.targetRoom === 'dashboard')).toBe(true);
    const dashboardImports = ALL_IMPORTS.get('dashboard') ?? [];
    expect(dashboardImports.some((entry) => entry.targetPackage === 'fastify')).toBe(true);
  });

  for (const { rule, room, forbidden, except = [] } of NEVER_IMPORTS) {
    it(rule, () => {
      const breaks = (ALL_IMPORTS.get(room) ?? []).filter(
        (entry) =>
          entry.targetRoom !== undefined &&
          forbidden.includes(entry.targetRoom) &&
          !except.includes(relative(REPO_ROOT, resolve(REPO_ROOT, dirname(entry.file), entry.specifier))),
      );
      expect(breaks, `rule broken: ${rule}\n${describeBreaks(breaks)}`).toEqual([]);
    });
  }

  it('no room imports controller/ but test/ and bench/ (it is a process of its own, reached over NATS)', () => {
    const breaks = [...ALL_IMPORTS.entries()]
      .filter(([room]) => !MAY_IMPORT_CONTROLLER.has(room))
      .flatMap(([, imports]) => imports.filter((entry) => entry.targetRoom === 'controller'));
    expect(
      breaks,
      `rule broken: only test/ and bench/ import controller/\n${describeBreaks(breaks)}`,
    ).toEqual([]);
  });

  it('only lattice/nats.ts imports the NATS client (one place to swap it)', () => {
    const breaks = [...ALL_IMPORTS.values()]
      .flat()
      .filter((entry) => entry.targetPackage === 'nats' && entry.file !== join('lattice', 'nats.ts'));
    expect(
      breaks,
      `rule broken: only lattice/nats.ts imports the NATS client\n${describeBreaks(breaks)}`,
    ).toEqual([]);
  });
});
