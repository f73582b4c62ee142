// What a program needs at run time, from its source: every file reachable from an entry point by
// relative imports (static, dynamic, and `new URL('./x', import.meta.url)` as used for workers and
// package.json), and the packages it imports by name. Used to check that the image holds it all.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, resolve } from 'node:path';

// Static imports and re-exports start a line, so words in strings ("its last import") are not read.
const IMPORTS = [
  /^\s*(?:import|export)\s+(?:type\s+)?[^'";]*?\sfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
];
const URL_REFERENCE = /\bnew URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g;

export interface ImportGraph {
  /** Absolute paths of every file reached. */
  files: Set<string>;
  /** Package names imported by name (`@scope/name` or `name`), without node: builtins. */
  packages: Set<string>;
}

/** Source without comments (strings kept as they are), so words in comments are not imports. */
function withoutComments(source: string): string {
  let out = '';
  let quote: string | null = null;
  for (let i = 0; i < source.length; i++) {
    const char = source[i]!;
    if (quote) {
      out += char;
      if (char === '\\') out += source[++i] ?? '';
      else if (char === quote) quote = null;
    } else if (char === "'" || char === '"' || char === '`') {
      quote = char;
      out += char;
    } else if (char === '/' && source[i + 1] === '/') {
      while (i < source.length && source[i] !== '\n') i++;
      out += '\n';
    } else if (char === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 1;
    } else {
      out += char;
    }
  }
  return out;
}

/**
 * The specifiers a source file imports. `typeOnly: false` leaves out `import type` statements,
 * which vanish at run time; the architecture rules count them. `urls` adds the files named by
 * `new URL(…, import.meta.url)` (workers, child processes): needed at run time, but not imports.
 */
export function importSpecifiers(file: string, options: { typeOnly: boolean; urls: boolean }): string[] {
  let source = withoutComments(readFileSync(file, 'utf8'));
  if (!options.typeOnly) source = source.replace(/^\s*import\s+type\s[^;]*;/gm, '');
  const patterns = options.urls ? [...IMPORTS, URL_REFERENCE] : IMPORTS;
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1]!));
}

export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

export function importGraph(entry: string): ImportGraph {
  const graph: ImportGraph = { files: new Set(), packages: new Set() };
  const queue = [resolve(entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (graph.files.has(file)) continue;
    graph.files.add(file);
    if (!/\.(?:ts|mts|js|mjs)$/.test(file)) continue;
    for (const specifier of importSpecifiers(file, { typeOnly: false, urls: true })) {
      if (specifier.startsWith('.') || specifier.startsWith('/')) {
        const target = resolve(dirname(file), specifier);
        if (!existsSync(target) || statSync(target).isDirectory()) {
          throw new Error(`${file} imports ${specifier}, which is not a file`);
        }
        queue.push(target);
      } else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) {
        graph.packages.add(packageName(specifier));
      }
    }
  }
  return graph;
}
