// The first thing a provider does (protocol.md §6.1): read the one HostData line the host writes
// to stdin, decode it and check what the SDK relies on (keys and names that become subject tokens,
// the invocation seed). Anything wrong is a HostDataInputError with a message that says what.

import { DecodeError, errorMessage } from '../../lattice/errors.ts';
import { decodeHostDataLine, type HostData } from '../../lattice/host-data.ts';
import { PROVIDER_KEY_PATTERN } from '../../lattice/json-message.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { isSubjectToken } from '../../lattice/subjects.ts';
import { ProviderError } from './errors.ts';

/** The start-up line is small (links and config); a bigger one means something else is on stdin. */
const MAX_HOST_DATA_BYTES = 16 * 1024 * 1024;
const NEWLINE = 0x0a;

export class HostDataInputError extends ProviderError {}

/** The first line of `input` (without the newline); at EOF, whatever came before it. */
export function readFirstLine(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (outcome: () => void) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      outcome();
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const newline = bytes.indexOf(NEWLINE);
      chunks.push(newline === -1 ? bytes : bytes.subarray(0, newline));
      size += bytes.length;
      if (newline !== -1) {
        finish(() => resolve(Buffer.concat(chunks).toString('utf8')));
      } else if (size > MAX_HOST_DATA_BYTES) {
        finish(() =>
          reject(
            new HostDataInputError(
              'HOST_DATA_TOO_LARGE',
              `host data is larger than ${MAX_HOST_DATA_BYTES} bytes without a newline: stdin does not hold one HostData line`,
            ),
          ),
        );
      }
    };
    const onEnd = () => finish(() => resolve(Buffer.concat(chunks).toString('utf8')));
    const onError = (error: Error) =>
      finish(() =>
        reject(new HostDataInputError('HOST_DATA_UNREADABLE', `cannot read host data: ${error.message}`)),
      );
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
  });
}

/** What the SDK needs from HostData beyond its schema; the signer is built once here. */
export interface CheckedHostData {
  hostData: HostData;
  /** The cluster key from `invocation_seed`; absent when the host sent none (no calls to actors). */
  invocationKey: KeyPair | undefined;
}

/** Checks the fields that become subject tokens and the invocation seed. */
export function checkHostData(hostData: HostData): CheckedHostData {
  if (!PROVIDER_KEY_PATTERN.test(hostData.provider_key)) {
    throw new HostDataInputError(
      'HOST_DATA_INVALID',
      `invalid host data: provider_key "${hostData.provider_key}" is not a provider public key (56 characters, starting with V)`,
    );
  }
  for (const [field, value] of [
    ['lattice_rpc_prefix', hostData.lattice_rpc_prefix],
    ['link_name', hostData.link_name],
  ] as const) {
    if (!isSubjectToken(value)) {
      throw new HostDataInputError(
        'HOST_DATA_INVALID',
        `invalid host data: ${field} "${value}" may not contain '.', '*', '>' or whitespace`,
      );
    }
  }
  let invocationKey: KeyPair | undefined;
  if (hostData.invocation_seed !== undefined && hostData.invocation_seed !== '') {
    try {
      invocationKey = KeyPair.fromSeed(hostData.invocation_seed, 'cluster');
    } catch (error) {
      throw new HostDataInputError(
        'HOST_DATA_INVALID',
        `invalid host data: invocation_seed is not a cluster seed (SC…): ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }
  return { hostData, invocationKey };
}

/** Reads, decodes and checks the HostData line from `input`. */
export async function readHostData(input: NodeJS.ReadableStream): Promise<CheckedHostData> {
  const line = await readFirstLine(input);
  try {
    return checkHostData(decodeHostDataLine(line));
  } catch (error) {
    if (error instanceof DecodeError) throw new HostDataInputError(error.code, error.message);
    throw error;
  }
}
