// When a ref given to `wash ctl start` is a file on this machine, wash sends its absolute path
// (so a host started elsewhere by `wash up` finds it) and reads its public key, so the outcome
// event can be recognised whatever form of the ref the host reports back. Anything else (an OCI
// reference, a path on the host's machine) is passed on untouched for the host to resolve.

import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { decodeAndVerifyJwt } from '../../../lattice/jwt.ts';
import { readProviderArchive } from '../../../lattice/provider-archive.ts';
import { extractClaimsToken } from '../../../lattice/wasm.ts';

export interface ResolvedRef {
  /** What to send to the host. */
  ref: string;
  /** The artifact's public key (M… or V…), when the file could be read here. */
  publicKey: string | undefined;
}

async function localFile(ref: string): Promise<string | undefined> {
  if (ref.includes('://')) return undefined;
  const path = isAbsolute(ref) ? ref : resolve(ref);
  try {
    return (await stat(path)).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

/** The `sub` of a signed module's claims; undefined when unsigned or unreadable (the host says why). */
function actorSubject(bytes: Uint8Array): string | undefined {
  try {
    const token = extractClaimsToken(bytes);
    if (token === undefined) return undefined;
    const decoded = decodeAndVerifyJwt(token);
    return decoded.ok && typeof decoded.payload.sub === 'string' ? decoded.payload.sub : undefined;
  } catch {
    return undefined;
  }
}

export async function resolveActorRef(ref: string): Promise<ResolvedRef> {
  const path = await localFile(ref);
  if (path === undefined) return { ref, publicKey: undefined };
  return { ref: path, publicKey: actorSubject(await readFile(path)) };
}

export async function resolveProviderRef(ref: string): Promise<ResolvedRef> {
  const path = await localFile(ref);
  if (path === undefined) return { ref, publicKey: undefined };
  try {
    const archive = await readProviderArchive(await readFile(path));
    return { ref: path, publicKey: archive.claims.sub };
  } catch {
    return { ref: path, publicKey: undefined };
  }
}
