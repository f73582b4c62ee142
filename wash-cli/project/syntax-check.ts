// A TypeScript actor's sources checked for syntax errors before componentize-js sees them: Node's
// type stripper says only "Expression expected", without file or line; esbuild says where, with
// the line and a caret, the way a compiler does.

import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { WashError } from '../errors.ts';

/** Throws WASH_BUILD_FAILED with esbuild's located messages when a .ts file in `dir` does not parse. */
export async function checkTypeScriptSyntax(dir: string, projectName: string): Promise<void> {
  const { formatMessages, transform } = await import('esbuild');
  for (const file of await readdir(dir)) {
    if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
    const path = join(dir, file);
    const shown = relative(process.cwd(), path) || file;
    try {
      await transform(await readFile(path, 'utf8'), { loader: 'ts', sourcefile: shown, logLevel: 'silent' });
    } catch (error) {
      const errors = (error as { errors?: Parameters<typeof formatMessages>[0] }).errors ?? [];
      const text = (await formatMessages(errors, { kind: 'error', color: false })).join('');
      throw new WashError('WASH_BUILD_FAILED', `build of ${projectName} failed:\n${text.trimEnd()}`, {
        cause: error,
      });
    }
  }
}
