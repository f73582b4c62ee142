// wasmbus-kvcounter: freestanding C (clang-14, no libc) → a 2022 wasmbus core module.
// No component step: the module speaks the waPC-style wasmbus ABI directly.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BuildContext } from '../build-context.ts';

const CLANG = 'clang-14';
const MISSING_TOOLCHAIN = `install the Debian packages clang-14 and lld-14 (apt-get install clang-14 lld-14)`;

// -mbulk-memory: __builtin_memcpy becomes memory.copy, so no libc memcpy is needed.
// Only the export_name functions are exported; the linker exports memory as `memory`.
// --stack-first: a stack overflow traps instead of overwriting static data.
// No maximum memory: growth is left unbounded, the host enforces its own cap.
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

async function compile(source: string, output: string): Promise<Uint8Array> {
  try {
    await promisify(execFile)(CLANG, [...CFLAGS, '-o', output, source]);
  } catch (error) {
    const { code, stderr } = error as { code?: unknown; stderr?: string };
    if (code === 'ENOENT') throw new Error(`${CLANG} not found: ${MISSING_TOOLCHAIN}`);
    const hint = stderr?.includes('wasm-ld') ? ` (to link wasm, ${MISSING_TOOLCHAIN})` : '';
    throw new Error(`${CLANG} failed${hint}:\n${stderr ?? String(error)}`);
  }
  return readFile(output);
}

export async function build(context: BuildContext): Promise<Uint8Array> {
  const source = join(context.actorDir, 'wasmbus-kvcounter.c');
  return compile(source, join(context.workDir, 'wasmbus-kvcounter.wasm'));
}
