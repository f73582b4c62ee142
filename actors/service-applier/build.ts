// service-applier: TypeScript → component; imports logging and the Kubernetes applier.
// service.ts (the pure logic) is imported by the entry and bundled by componentize-js.

import type { BuildContext } from '../build-context.ts';
import { buildTypeScriptComponent } from '../toolchains/typescript.ts';

export function build(context: BuildContext): Promise<Uint8Array> {
  return buildTypeScriptComponent(context, 'service-applier.ts', 'service-applier');
}
