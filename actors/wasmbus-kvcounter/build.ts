// wasmbus-kvcounter: freestanding C (clang-14, no libc) → a 2022 wasmbus core module.
// No component step: the module speaks the waPC-style wasmbus ABI directly. No maximum
// memory is declared: the host enforces its own cap.

import { join } from 'node:path';
import type { BuildContext } from '../build-context.ts';
import { compileC } from '../toolchains/c.ts';

export function build(context: BuildContext): Promise<Uint8Array> {
  return compileC(
    join(context.actorDir, 'wasmbus-kvcounter.c'),
    join(context.workDir, 'wasmbus-kvcounter.wasm'),
  );
}
