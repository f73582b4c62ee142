// Freestanding C → wasm32 core module with Debian's clang-14 (no libc, no WASI imports).
// Shared by the example actors written in C; their shared headers (arena.h, wasmbus-guest.h) sit
// next to this file, which is on the include path.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const CLANG = 'clang-14';
const HEADERS_DIR = fileURLToPath(new URL('.', import.meta.url));
const MISSING_TOOLCHAIN = `install the Debian packages clang-14 and lld-14 (apt-get install clang-14 lld-14)`;

// -mbulk-memory: __builtin_memcpy becomes memory.copy, so no libc memcpy is needed.
// Only the export_name functions are exported; the linker exports memory as `memory`.
// --stack-first: a stack overflow traps instead of overwriting static data.
const CFLAGS = [
  '--target=wasm32',
  '-nostdlib',
  '-O2',
  '-Wall',
  '-Werror=implicit-function-declaration',
  '-mbulk-memory',
  '-fvisibility=hidden',
  '-Wl,--no-entry',
  '-Wl,--stack-first',
  '-Wl,-z,stack-size=16384',
];

/**
 * Compiles one freestanding C file to a wasm32 core module (no libc, no WASI). `headersDir` holds
 * arena.h and wasmbus-guest.h: this folder for the example actors; a project made by `wash new`
 * has its own copies (and wash, bundled, no longer sits beside this file).
 */
export async function compileC(
  source: string,
  output: string,
  headersDir = HEADERS_DIR,
): Promise<Uint8Array> {
  try {
    await promisify(execFile)(CLANG, [...CFLAGS, '-I', headersDir, '-o', output, source]);
  } catch (error) {
    const { code, stderr } = error as { code?: unknown; stderr?: string };
    if (code === 'ENOENT') throw new Error(`${CLANG} not found: ${MISSING_TOOLCHAIN}`);
    const hint = stderr?.includes('wasm-ld') ? ` (to link wasm, ${MISSING_TOOLCHAIN})` : '';
    throw new Error(`${CLANG} failed${hint}:\n${stderr ?? String(error)}`);
  }
  return readFile(output);
}
