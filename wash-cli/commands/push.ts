// `wash push URL FILE` (also `wash reg push`, as in wash 0.1x): checks the file is a signed actor
// module or a valid provider archive, then pushes it to an OCI registry with wasmCloud's media
// types. The registry options (credentials, --insecure, --allow-latest) are shared with pull.

import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { errorMessage } from '../../lattice/errors.ts';
import { sniffArtifactKind } from '../../lattice/oci/artifact-kind.ts';
import type { ArtifactKind } from '../../lattice/oci/media-types.ts';
import { OciClient } from '../../lattice/oci/oci-client.ts';
import { type OciReference, parseOciReference, refuseLatest } from '../../lattice/oci/reference.ts';
import { readProviderArchive } from '../../lattice/provider-archive.ts';
import { WashError } from '../errors.ts';
import { type CommandResult, runAction, table } from '../output.ts';
import { withSpinner } from '../spinner.ts';

export interface RegistryFlags {
  user?: string;
  password?: string;
  insecure?: boolean;
  allowLatest?: boolean;
}

interface PushFlags extends RegistryFlags {
  config?: string;
}

/** -u/-p (or WASH_REG_USER/WASH_REG_PASSWORD), --insecure, --allow-latest, as wash 0.1x had them. */
export function addRegistryOptions(command: Command): Command {
  return command
    .addOption(
      new Option('-u, --user <user>', 'registry username (anonymous without one)').env('WASH_REG_USER'),
    )
    .addOption(new Option('-p, --password <password>', 'registry password').env('WASH_REG_PASSWORD'))
    .option('--insecure', 'reach the registry over plain HTTP instead of HTTPS')
    .option('--allow-latest', 'allow the tag latest (named, or implied by no tag)');
}

/** The reference, refusing `latest` unless --allow-latest. */
export function registryReference(text: string, flags: RegistryFlags): OciReference {
  const reference = parseOciReference(text);
  refuseLatest(reference, flags.allowLatest === true, '--allow-latest');
  return reference;
}

export function registryClient(flags: RegistryFlags): OciClient {
  const { user, password } = flags;
  if ((user === undefined) !== (password === undefined)) {
    throw new WashError(
      'WASH_BAD_ARGUMENT',
      'give both a username and a password (-u/--user and -p/--password, or WASH_REG_USER and WASH_REG_PASSWORD), or neither',
    );
  }
  return new OciClient({
    insecure: flags.insecure === true,
    credentials: () => (user === undefined ? undefined : { username: user, password }),
    hints: {
      insecure: 'pass --insecure',
      credentials: 'give them with -u/--user and -p/--password (or WASH_REG_USER and WASH_REG_PASSWORD)',
    },
    userAgent: 'wash (wasmcloud-ts)',
  });
}

export interface ValidArtifact {
  kind: ArtifactKind;
  /** The actor's (M…) or provider's (V…) key. */
  publicKey: string;
  /** Provider archives only: whether gzipped (the file name ends in .par.gz then). */
  compressed: boolean;
}

/** What the bytes are, after checking them as the host will: signed module, or archive and hashes. */
export async function validateArtifact(bytes: Uint8Array, name: string): Promise<ValidArtifact> {
  const kind = sniffArtifactKind(bytes);
  if (kind === undefined) {
    throw new WashError(
      'WASH_BAD_FILE',
      `${name} is neither a WebAssembly module (an actor) nor a provider archive`,
    );
  }
  try {
    if (kind === 'actor') return { kind, publicKey: verifySignedWasm(bytes).claims.sub, compressed: false };
    const archive = await readProviderArchive(bytes);
    return { kind, publicKey: archive.claims.sub, compressed: archive.compressed };
  } catch (error) {
    const what = kind === 'actor' ? 'a signed actor module' : 'a valid provider archive';
    throw new WashError('WASH_BAD_FILE', `${name} is not ${what}: ${errorMessage(error)}`, { cause: error });
  }
}

async function readInput(file: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new WashError('WASH_FILE_UNREADABLE', `cannot read ${what} ${file}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

async function push(url: string, file: string, flags: PushFlags): Promise<CommandResult> {
  const reference = registryReference(url, flags);
  const client = registryClient(flags);
  const bytes = await readInput(file, 'the artifact');
  const artifact = await validateArtifact(bytes, file);
  const config = flags.config === undefined ? undefined : await readInput(flags.config, 'the config file');
  const pushed = await withSpinner(`Pushing ${file} to ${url}`, () =>
    client.push(reference, { kind: artifact.kind, bytes, ...(config ? { config } : {}) }),
  );
  return {
    json: {
      result: 'success',
      url,
      kind: artifact.kind,
      public_key: artifact.publicKey,
      digest: pushed.manifestDigest,
      layer_digest: pushed.layerDigest,
    },
    text: `Successfully validated and pushed to ${url}\n${table([
      ['Kind', artifact.kind],
      ['Public key', artifact.publicKey],
      ['Digest', pushed.manifestDigest],
    ])}`,
  };
}

/** Adds `push` under `parent` (the program, or `reg`). */
export function registerPushCommand(parent: Command): void {
  addRegistryOptions(
    parent
      .command('push')
      .description('push a signed actor module or a provider archive to an OCI registry')
      .argument('<url>', 'where to push: registry[:port]/repository:tag')
      .argument('<artifact>', 'a signed .wasm or a provider archive (.par.gz)')
      .option('-c, --config <file>', 'the config blob to push (default: {})'),
  ).action(async (url: string, file: string, flags: PushFlags, command: Command) =>
    runAction(command, () => push(url, file, flags)),
  );
}
