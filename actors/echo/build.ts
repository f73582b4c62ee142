// echo: TypeScript → component; imports nothing but wasmcloud:builtin/logging.

import type { BuildContext } from '../build-context.ts';
import { buildTypeScriptComponent } from '../toolchains/typescript.ts';

export function build(context: BuildContext): Promise<Uint8Array> {
  return buildTypeScriptComponent(context, 'echo.ts', 'echo');
}
