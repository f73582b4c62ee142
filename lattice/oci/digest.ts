// Content digests (`sha256:{hex}`): what a registry names every blob and manifest by, and what this
// client checks every byte it receives against.

import { createHash } from 'node:crypto';
import { OciError } from './errors.ts';

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Throws OCI_DIGEST_MISMATCH unless `bytes` hash to `expected`; `what` names them in the message. */
export function verifyDigest(bytes: Uint8Array, expected: string, what: string): void {
  const actual = sha256Digest(bytes);
  if (actual !== expected) {
    throw new OciError(
      'OCI_DIGEST_MISMATCH',
      `${what} does not match its digest: expected ${expected}, the bytes received hash to ${actual} (changed in the registry or in transit)`,
    );
  }
}

/** `sha256:{hex}` from a digest given with or without its `sha256:` prefix. */
export function normalizeDigest(text: string): string {
  const digest = text.startsWith('sha256:') ? text : `sha256:${text}`;
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new OciError('OCI_BAD_REFERENCE', `"${text}" is not a sha256 digest (64 lowercase hex digits)`);
  }
  return digest;
}
