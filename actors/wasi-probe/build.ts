// wasi-probe: TypeScript → component with stdio, clocks and random enabled, so that it
// imports WASI and the runtime's sandbox is exercised by a real component.

import type { BuildContext } from '../build-context.ts';
import { buildTypeScriptComponent } from '../toolchains/typescript.ts';

export function build(context: BuildContext): Promise<Uint8Array> {
  return buildTypeScriptComponent(context, 'wasi-probe.ts', 'wasi-probe', ['http', 'fetch-event']);
}
