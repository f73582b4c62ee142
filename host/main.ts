#!/usr/bin/env node
// The host process's entry point (`node host/main.ts [flags]`; cli.ts reads the flags). The memory
// settings of memory-settings.ts take a fresh process, so they come first, before the rest of the
// host is even loaded: a restart after loading it would cost that loading twice.

import { restartWithMemorySettings } from './memory-settings.ts';

restartWithMemorySettings();
await import('./cli.ts');
