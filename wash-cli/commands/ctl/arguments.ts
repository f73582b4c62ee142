// Checks of the arguments ctl commands take (keys, contract IDs, counts, KEY=VALUE pairs), done
// before connecting so a typo is reported as such, not as a host's rejection or a timeout.

import { ACTOR_KEY_PATTERN, HOST_KEY_PATTERN, PROVIDER_KEY_PATTERN } from '../../../lattice/json-message.ts';
import { isSubjectToken } from '../../../lattice/subjects.ts';
import { WashError } from '../../errors.ts';

const KEY_PATTERNS = {
  host: { pattern: HOST_KEY_PATTERN, letter: 'N' },
  actor: { pattern: ACTOR_KEY_PATTERN, letter: 'M' },
  provider: { pattern: PROVIDER_KEY_PATTERN, letter: 'V' },
} as const;

/** A host (N…), actor (M…) or provider (V…) public key; `what` names the argument in the error. */
export function publicKeyArgument(
  kind: keyof typeof KEY_PATTERNS,
  text: string,
  what = `${kind} ID`,
): string {
  const { pattern, letter } = KEY_PATTERNS[kind];
  const key = text.trim();
  if (!pattern.test(key)) {
    throw new WashError(
      'WASH_BAD_ARGUMENT',
      `invalid ${what} "${text}": expected a ${kind} public key (56 characters, starting with ${letter})`,
    );
  }
  return key;
}

/** wash's `validate_contract_id`: a 56-character key given where a contract ID belongs is a mix-up. */
export function contractIdArgument(text: string): string {
  const contractId = text.trim();
  if (contractId === '')
    throw new WashError('WASH_BAD_ARGUMENT', 'the contract ID is empty (e.g. wasmcloud:httpserver)');
  if (/^[A-Z2-7]{56}$/.test(contractId)) {
    throw new WashError(
      'WASH_BAD_ARGUMENT',
      `"${contractId}" is a public key, not a contract ID: contract IDs look like wasmcloud:httpserver (check the order of the arguments)`,
    );
  }
  return contractId;
}

export function linkNameArgument(text: string): string {
  if (!isSubjectToken(text)) {
    throw new WashError(
      'WASH_BAD_ARGUMENT',
      `invalid link name "${text}": it must be one word without '.', '*', '>' or spaces`,
    );
  }
  return text;
}

/** A whole number in [min, max]; `what` is the flag, e.g. `--count`. */
export function wholeNumberArgument(text: string, what: string, min: number, max: number): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed) || Number(trimmed) < min || Number(trimmed) > max) {
    throw new WashError(
      'WASH_BAD_ARGUMENT',
      `invalid ${what} "${text}": expected a whole number from ${min} to ${max}`,
    );
  }
  return Number(trimmed);
}

/** Instance counts are u16 in the 2022 protocol. */
export const MAX_INSTANCE_COUNT = 65_535;

/** Collects a repeatable commander option into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `KEY=VALUE` pairs (constraints, annotations, link values) as a map; `what` names them in errors. */
export function keyValuePairs(pairs: readonly string[], what: string): Record<string, string> {
  const entries = new Map<string, string>();
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new WashError('WASH_BAD_ARGUMENT', `invalid ${what} "${pair}": expected KEY=VALUE`);
    entries.set(pair.slice(0, at), pair.slice(at + 1));
  }
  // fromEntries defines own properties, so a key such as "__proto__" stays a plain key.
  return Object.fromEntries(entries);
}
