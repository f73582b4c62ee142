// wasmbus-echo: freestanding C (clang-14, no libc) → a 2022 wasmbus core module, like
// wasmbus-kvcounter. The HTTP benchmark's actor: the echo's answer at a C module's cost.

import { join } from 'node:path';
import type { BuildContext } from '../build-context.ts';
import { compileC } from '../toolchains/c.ts';

export function build(context: BuildContext): Promise<Uint8Array> {
  return compileC(join(context.actorDir, 'wasmbus-echo.c'), join(context.workDir, 'wasmbus-echo.wasm'));
}
