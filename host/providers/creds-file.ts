// HostData carries a NATS user JWT and seed, not a creds file; when the host was given a creds
// file for providers, its two decorated blocks are what providers get.

import { readFileSync } from 'node:fs';
import { errorMessage } from '../../lattice/errors.ts';
import { HostError } from '../errors.ts';

const BLOCK = /-{3,}[^\n]*-{3,}\s*\n([^-\s][^\n]*)\n\s*-{3,}[^\n]*END[^\n]*-{3,}/g;

/** The JWT and seed of a `.creds` file; throws a HostError naming the file when it holds neither. */
export function readCredsFile(path: string): { jwt: string; seed: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new HostError(
      'PROVIDER_CREDENTIALS_UNREADABLE',
      `cannot read the providers' NATS creds file ${path}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  const blocks = [...text.matchAll(BLOCK)].map((match) => match[1]!.trim());
  const jwt = blocks.find((block) => block.startsWith('ey'));
  const seed = blocks.find((block) => block.startsWith('SU'));
  if (jwt === undefined || seed === undefined) {
    throw new HostError(
      'PROVIDER_CREDENTIALS_UNREADABLE',
      `the NATS creds file ${path} does not hold a user JWT and a user seed (SU…)`,
    );
  }
  return { jwt, seed };
}
