#!/usr/bin/env node
// The host process's entry point (`node host/main.ts [flags]`; cli.ts reads the flags). The memory
// settings of memory-settings.ts take a fresh process, so they come first, before the rest of the
// host is even loaded: a restart after loading it would cost that loading twice. The same restart
// runs the compiled host (compiled-host.ts) when `npm run build` made one that is current: this
// process, which has loaded Node's type stripper, is replaced by one that never loads it.

import { currentCompiledHost } from './compiled-host.ts';
import { restartWithMemorySettings } from './memory-settings.ts';

const compiled = currentCompiledHost();
restartWithMemorySettings(compiled);
// No restart possible (not Linux): the compiled host still saves the modules' cost, if not the stripper's.
if (compiled !== undefined) await import(compiled);
// A literal specifier: the Dockerfile's test follows it to everything the host imports.
else await import('./cli.ts');
