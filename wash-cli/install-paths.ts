// Where wash finds the rest of the checkout it belongs to: the templates and contracts `wash new`
// copies, the host and controller `wash up` starts. Found from this module's own folder, one level
// below the repository both as a source file (wash-cli/) and bundled into dist/ by
// wash-cli/build.ts, so keep it at that depth; modules deeper down import these paths rather than
// counting `..` from their own, which bundling would break.

import { join } from 'node:path';

export const REPO_DIR = join(import.meta.dirname, '..');
export const WASH_DIR = join(REPO_DIR, 'wash-cli');
/** The host's entry point, which runs the compiled host when it is current (host/main.ts). */
export const HOST_MAIN = join(REPO_DIR, 'host', 'main.ts');
export const CONTROLLER_MAIN = join(REPO_DIR, 'controller', 'main.ts');
