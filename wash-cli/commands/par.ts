// `wash par create` and `wash par inspect` (wash 0.1x flags and output): pack a provider binary
// into a signed provider archive, and show an archive's claims after verifying it.
// As in wash 0.1x, `-v` is the vendor, so the version has only the long flag `--version`.

import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { errorMessage } from '../../lattice/errors.ts';
import {
  checkTarget,
  createProviderArchive,
  JS_PROVIDER_TARGET,
  nativeTarget,
  readProviderArchive,
} from '../../lattice/provider-archive.ts';
import { WashError } from '../errors.ts';
import { resolveKeyPair } from '../keys-directory.ts';
import { type CommandResult, runAction, table } from '../output.ts';

interface CreateOptions {
  capid: string;
  name: string;
  vendor: string;
  binary: string;
  arch: string;
  destination?: string;
  issuer?: string;
  subject?: string;
  version?: string;
  revision?: string;
  compress?: boolean;
  directory?: string;
  disableKeygen?: boolean;
}

/** Claims revisions are i32 in wascap. */
const MAX_REVISION = 2 ** 31 - 1;

function revisionOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > MAX_REVISION) {
    throw new WashError(
      'WASH_BAD_ARGUMENT',
      `--revision takes a whole number from 0 to ${MAX_REVISION}, not "${text}"`,
    );
  }
  return Number(text);
}

/** wash's file stem for an archive: the name lowercased, spaces as underscores. */
function fileStem(name: string): string {
  return name.toLowerCase().replaceAll(' ', '_');
}

/** Reads a file the user named, with a one-line message when it cannot be read. */
async function readUserFile(path: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new WashError('WASH_FILE_NOT_FOUND', `${what} ${path} does not exist`);
    if (code === 'EISDIR') throw new WashError('WASH_BAD_FILE', `${what} ${path} is a directory, not a file`);
    throw new WashError('WASH_FILE_UNREADABLE', `cannot read ${what} ${path}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

async function create(options: CreateOptions): Promise<CommandResult> {
  // Check every input before resolving keys, so a typo does not leave freshly generated keys behind.
  const revision = revisionOf(options.revision);
  checkTarget(options.arch);
  const binary = await readUserFile(options.binary, 'the binary');
  const stem = fileStem(options.name);
  const keys = { directory: options.directory, disableKeygen: options.disableKeygen };
  const issuer = resolveKeyPair({ given: options.issuer, name: stem, kind: 'account', ...keys });
  const subject = resolveKeyPair({ given: options.subject, name: stem, kind: 'service', ...keys });
  const archive = await createProviderArchive({
    metadata: {
      name: options.name,
      capid: options.capid,
      vendor: options.vendor,
      rev: revision,
      ver: options.version,
    },
    binaries: new Map([[options.arch, binary]]),
    issuer,
    subject,
    compress: options.compress === true,
  });
  const destination = options.destination ?? `${stem}.par${options.compress ? '.gz' : ''}`;
  await writeFile(destination, archive.bytes);
  return {
    json: { result: 'success', file: destination },
    text: `Successfully created ${destination}`,
  };
}

async function inspect(file: string): Promise<CommandResult> {
  const archive = await readProviderArchive(await readUserFile(file, 'the archive'));
  const { claims } = archive;
  const metadata = claims.wascap;
  const targets = [...archive.targets.keys()].sort();
  return {
    json: {
      name: metadata.name ?? null,
      public_key: claims.sub,
      capability_contract_id: metadata.capid,
      vendor: metadata.vendor,
      version: metadata.ver ?? null,
      revision: metadata.rev ?? null,
      issuer: claims.iss,
      targets,
    },
    text: [
      table([
        ['Name', metadata.name ?? 'None'],
        ['Public Key', claims.sub],
        ['Capability Contract ID', metadata.capid],
        ['Vendor', metadata.vendor],
        ['Version', metadata.ver ?? 'None'],
        ['Revision', metadata.rev === undefined ? 'None' : String(metadata.rev)],
        ['Issuer', claims.iss],
        ['Architectures', targets.join(', ')],
      ]),
      '',
      `Verified: the claims are validly signed by the issuer and every target's hash matches its binary.`,
    ].join('\n'),
  };
}

export function registerParCommands(program: Command): void {
  const par = program.command('par').description('create and inspect provider archives (.par, .par.gz)');

  par
    .command('create')
    .description('pack a provider binary into a signed provider archive')
    .requiredOption('-c, --capid <capid>', 'the capability contract ID, e.g. wasmcloud:httpserver')
    .requiredOption('-n, --name <name>', 'the provider name')
    .requiredOption('-v, --vendor <vendor>', 'the vendor of the provider')
    .requiredOption('-b, --binary <path>', 'the provider executable (or ES-module bundle for js-node)')
    .option(
      '-a, --arch <target>',
      `the binary's target: {arch}-{os} or ${JS_PROVIDER_TARGET}`,
      nativeTarget(),
    )
    .option(
      '-d, --destination <file>',
      'where to write the archive (default: {name}.par, or .par.gz with --compress)',
    )
    .option('-i, --issuer <seed|file>', 'the account (issuer) seed, or a file holding it')
    .option('-s, --subject <seed|file>', 'the service (subject) seed, or a file holding it')
    .option('--version <version>', 'human-readable version, e.g. 0.1.0')
    .option('--revision <n>', 'revision number')
    .option('--compress', 'gzip the archive')
    .option('--directory <dir>', 'where keys are kept ($WASH_KEYS, default ~/.wash/keys)')
    .option('--disable-keygen', 'fail instead of generating keys that are not found')
    .action(async (options: CreateOptions, command: Command) => runAction(command, () => create(options)));

  par
    .command('inspect')
    .description('verify a provider archive and show its claims')
    .argument('<archive>', 'the provider archive (.par or .par.gz)')
    .action(async (file: string, _options: unknown, command: Command) =>
      runAction(command, () => inspect(file)),
    );
}
