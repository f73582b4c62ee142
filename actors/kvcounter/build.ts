// kvcounter: freestanding C (clang-14, no libc, no WASI) → core module → component.

import { join } from 'node:path';
import { componentEmbed, componentNew } from '@bytecodealliance/jco';
import type { BuildContext } from '../build-context.ts';
import { compileC } from '../toolchains/c.ts';

export async function build(context: BuildContext): Promise<Uint8Array> {
  const core = await compileC(
    join(context.actorDir, 'kvcounter.c'),
    join(context.workDir, 'kvcounter.core.wasm'),
  );
  const embedded = await componentEmbed({
    binary: core,
    witPath: context.witDir,
    world: 'kvcounter',
    stringEncoding: 'utf8',
  });
  return componentNew(embedded);
}
