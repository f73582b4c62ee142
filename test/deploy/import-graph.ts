// What a program needs at run time, from its source: every file reachable from an entry point by
// relative imports (static, dynamic, and `new URL('./x', import.meta.url)` as used for workers and
// package.json), and the packages it imports by name. Used to check that the image holds it all.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, resolve } from 'node:path';

const SPECIFIERS = [
  /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\sfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\bnew URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g,
];

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

function packageName(specifier: string): string {
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
    // Type-only imports vanish at run time.
    const source = withoutComments(readFileSync(file, 'utf8')).replace(/^\s*import\s+type\s[^;]*;/gm, '');
    for (const pattern of SPECIFIERS) {
      for (const match of source.matchAll(pattern)) {
        const specifier = match[1]!;
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
  }
  return graph;
}
