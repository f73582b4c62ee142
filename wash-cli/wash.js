#!/usr/bin/env node
// The `wash` executable (package.json "bin"). Plain JavaScript on purpose: it turns on Node's
// module compile cache (stripped TypeScript and V8 code cached in the OS temp folder, or in
// NODE_COMPILE_CACHE) before the first .ts file loads, so a command no longer pays ~0.1 s for the
// type stripper plus the compilation of everything it imports (docs/wash.md, "Start-up time").

import { enableCompileCache } from 'node:module';

enableCompileCache?.();
// wash build strips TypeScript with node:module's stripTypeScriptTypes, which warns "experimental"
// on every build; that line would sit between wash dev's status lines and means nothing to a user.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) =>
  String(warning).includes('stripTypeScriptTypes') ? undefined : emitWarning.call(process, warning, ...rest);
const { buildProgram } = await import('./main.ts');
await (await buildProgram(process.argv)).parseAsync(process.argv);
