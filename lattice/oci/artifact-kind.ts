// Which kind of wasmCloud artifact some bytes are, from their first bytes alone: a WebAssembly
// module or component (an actor), or a provider archive (a tar, gzipped or not).

import type { ArtifactKind } from './media-types.ts';

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
const GZIP_MAGIC = [0x1f, 0x8b];
const TAR_MAGIC_OFFSET = 257;
const TAR_MAGIC = 'ustar';

function startsWith(bytes: Uint8Array, magic: number[], offset = 0): boolean {
  return magic.every((byte, index) => bytes[offset + index] === byte);
}

/** 'actor', 'provider', or undefined when the bytes are neither. */
export function sniffArtifactKind(bytes: Uint8Array): ArtifactKind | undefined {
  if (startsWith(bytes, WASM_MAGIC)) return 'actor';
  if (startsWith(bytes, GZIP_MAGIC)) return 'provider';
  const tarMagic = [...TAR_MAGIC].map((char) => char.charCodeAt(0));
  if (startsWith(bytes, tarMagic, TAR_MAGIC_OFFSET)) return 'provider';
  return undefined;
}
