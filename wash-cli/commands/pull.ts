// `wash pull URL [--destination FILE]` (also `wash reg pull`, as in wash 0.1x): pulls an actor
// module or a provider archive from an OCI registry, checks it as the host would, and writes it
// to the destination (by default `{last part of the repository}.wasm` or `.par.gz` here).

import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { errorMessage } from '../../lattice/errors.ts';
import { normalizeDigest } from '../../lattice/oci/digest.ts';
import { describeKind } from '../../lattice/oci/media-types.ts';
import { WashError } from '../errors.ts';
import { type CommandResult, runAction, table } from '../output.ts';
import { withSpinner } from '../spinner.ts';
import {
  addRegistryOptions,
  type RegistryFlags,
  registryClient,
  registryReference,
  type ValidArtifact,
  validateArtifact,
} from './push.ts';

interface PullFlags extends RegistryFlags {
  destination?: string;
  digest?: string;
}

function defaultFileName(repository: string, artifact: ValidArtifact): string {
  const base = repository.split('/').pop()!;
  if (artifact.kind === 'actor') return `${base}.wasm`;
  return artifact.compressed ? `${base}.par.gz` : `${base}.par`;
}

async function pull(url: string, flags: PullFlags): Promise<CommandResult> {
  const reference = registryReference(url, flags);
  const expectedDigest = flags.digest === undefined ? undefined : normalizeDigest(flags.digest);
  const client = registryClient(flags);
  const pulled = await withSpinner(`Downloading ${url}`, () => client.pull(reference));
  if (expectedDigest !== undefined && pulled.manifestDigest !== expectedDigest) {
    throw new WashError(
      'OCI_DIGEST_MISMATCH',
      `${url} has the digest ${pulled.manifestDigest}, not ${expectedDigest} (--digest); nothing written`,
    );
  }
  const artifact = await validateArtifact(pulled.bytes, url);
  if (pulled.kind !== undefined && pulled.kind !== artifact.kind) {
    throw new WashError(
      'OCI_UNEXPECTED_MEDIA_TYPE',
      `${url} is pushed as ${describeKind(pulled.kind)} but holds ${describeKind(artifact.kind)}; nothing written`,
    );
  }
  const file = resolve(flags.destination ?? defaultFileName(reference.repository, artifact));
  try {
    await writeFile(file, pulled.bytes);
  } catch (error) {
    throw new WashError('WASH_FILE_UNWRITABLE', `cannot write ${file}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  return {
    json: { file, kind: artifact.kind, public_key: artifact.publicKey, digest: pulled.manifestDigest },
    text: `Successfully pulled and validated ${file}\n${table([
      ['Kind', artifact.kind],
      ['Public key', artifact.publicKey],
      ['Digest', pulled.manifestDigest],
    ])}`,
  };
}

/** Adds `pull` under `parent` (the program, or `reg`). */
export function registerPullCommand(parent: Command): void {
  addRegistryOptions(
    parent
      .command('pull')
      .description('pull an actor module or a provider archive from an OCI registry')
      .argument('<url>', 'what to pull: registry[:port]/repository[:tag|@digest]')
      .option('--destination <file>', 'where to write it (default: ./{repository}.wasm or .par.gz)')
      .option('-d, --digest <digest>', 'refuse the artifact unless its manifest has this digest'),
  ).action(async (url: string, flags: PullFlags, command: Command) =>
    runAction(command, () => pull(url, flags)),
  );
}
