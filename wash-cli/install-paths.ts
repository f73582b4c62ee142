// Where wash finds the rest of the checkout it belongs to: the templates and contracts `wash new`
// copies, the host and controller `wash up` starts. Found from this module's own folder, one level
// below the repository both as a source file (wash-cli/) and bundled into dist/ by
// wash-cli/build.ts, so keep it at that depth; modules deeper down import these paths rather than
// counting `..` from their own, which bundling would break.

import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_DIR = join(import.meta.dirname, '..');
export const WASH_DIR = join(REPO_DIR, 'wash-cli');
/**
 * Whether this wash runs from a checkout (its .ts sources beside it) or from its npm package
 * (wash-cli/pack.ts: the bundles in dist/ and nothing else to run).
 */
export const FROM_CHECKOUT = existsSync(join(WASH_DIR, 'main.ts'));
/** The host's entry point, which runs the compiled host when it is current (host/main.ts). */
export const HOST_MAIN = FROM_CHECKOUT
  ? join(REPO_DIR, 'host', 'main.ts')
  : join(REPO_DIR, 'dist', 'host-main.js');
export const CONTROLLER_MAIN = FROM_CHECKOUT
  ? join(REPO_DIR, 'controller', 'main.ts')
  : join(REPO_DIR, 'dist', 'wash-controller.js');
