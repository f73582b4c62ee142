// wasmbus-loop: freestanding C (clang-14, no libc) → a 2022 wasmbus core module that computes
// for as long as it is asked to, or forever: the runaway actor of the timeout tests and the
// runaway benchmark.

import { join } from 'node:path';
import type { BuildContext } from '../build-context.ts';
import { compileC } from '../toolchains/c.ts';

export function build(context: BuildContext): Promise<Uint8Array> {
  return compileC(join(context.actorDir, 'wasmbus-loop.c'), join(context.workDir, 'wasmbus-loop.wasm'));
}
