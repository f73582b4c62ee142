// `wash keys gen <kind>`: a new key pair (public key and seed).

import type { Command } from 'commander';
import { type KeyKind, KeyPair } from '../../lattice/keys.ts';
import { WashError } from '../errors.ts';
import { runAction } from '../output.ts';

const KINDS: readonly KeyKind[] = ['account', 'module', 'service', 'server', 'cluster', 'operator', 'user'];

export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('create key pairs');
  keys
    .command('gen')
    .description(`generate a key pair: ${KINDS.join(', ')}`)
    .argument('<kind>', `the kind of key: ${KINDS.join('|')}`)
    .action(async (kind: string, _options: unknown, command: Command) =>
      runAction(command, () => {
        if (!(KINDS as readonly string[]).includes(kind)) {
          throw new WashError(
            'WASH_BAD_ARGUMENT',
            `unknown key kind "${kind}": use one of ${KINDS.join(', ')}`,
          );
        }
        const keyPair = KeyPair.create(kind as KeyKind);
        return {
          json: { public_key: keyPair.publicKey, seed: keyPair.seed },
          text: `Public Key: ${keyPair.publicKey}\nSeed: ${keyPair.seed}\n\nRemember that the seed is private, treat it as a secret.`,
        };
      }),
    );
}
