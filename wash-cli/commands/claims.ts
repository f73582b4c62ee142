// `wash claims sign` and `wash claims inspect` (wash 0.1x flags and output).
// sign embeds actor claims in a core module or a component; inspect reads the claims of a
// module, a component, a provider archive or a bare token, verifies them and shows them.

import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Command } from 'commander';
import { signActorClaims } from '../../lattice/claims.ts';
import { nowSeconds } from '../../lattice/jwt.ts';
import { embedClaims, moduleHash, wasmKind } from '../../lattice/wasm.ts';
import { WashError } from '../errors.ts';
import { resolveKeyPair } from '../keys-directory.ts';
import { runAction } from '../output.ts';
import { describeClaims, inspectFile } from './claims-inspect.ts';

/** The capability flags of wash 0.1x and the contracts they add. */
const CAPABILITY_FLAGS = [
  ['keyvalue', '-k, --keyvalue', 'wasmcloud:keyvalue', 'key-value store'],
  ['msg', '-g, --msg', 'wasmcloud:messaging', 'messaging'],
  ['http_server', '-q, --http_server', 'wasmcloud:httpserver', 'HTTP server'],
  ['http_client', '-h, --http_client', 'wasmcloud:httpclient', 'HTTP client'],
  ['blob_store', '-f, --blob_store', 'wasmcloud:blobstore', 'blob store'],
  ['logging', '-l, --logging', 'wasmcloud:builtin:logging', 'built-in logging'],
  ['events', '-e, --events', 'wasmcloud:eventstreams', 'event streams'],
  ['extras', '-z, --extras', 'wasmcloud:builtin:numbergen', 'built-in number generator (extras)'],
] as const;

const DAY_SECONDS = 86_400;

interface SignOptions {
  destination?: string;
  name: string;
  cap?: string[];
  tag?: string[];
  rev?: string;
  ver?: string;
  callAlias?: string;
  issuer?: string;
  subject?: string;
  expires?: string;
  nbf?: string;
  directory?: string;
  disableKeygen?: boolean;
  prov?: boolean;
  [flag: string]: unknown;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function wholeNumber(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text))
    throw new WashError('WASH_BAD_ARGUMENT', `${flag} takes a whole number, not "${text}"`);
  return Number(text);
}

/** wash names the signed copy `{stem}_s.wasm` beside the original. */
function defaultDestination(source: string): string {
  return join(dirname(source), `${basename(source, extname(source))}_s.wasm`);
}

async function sign(source: string, options: SignOptions) {
  const bytes = await readFile(source);
  const kind = wasmKind(bytes);
  const caps = [
    ...CAPABILITY_FLAGS.filter(([key]) => options[key] === true).map(([, , contract]) => contract),
    ...(options.cap ?? []),
  ];
  const stem = basename(source, extname(source));
  const rev = wholeNumber(options.rev, '--rev');
  const expiresInDays = wholeNumber(options.expires, '--expires');
  const notBeforeInDays = wholeNumber(options.nbf, '--nbf');
  const issuer = resolveKeyPair({
    given: options.issuer,
    name: stem,
    kind: 'account',
    directory: options.directory,
    disableKeygen: options.disableKeygen,
  });
  const subject = resolveKeyPair({
    given: options.subject,
    name: stem,
    kind: 'module',
    directory: options.directory,
    disableKeygen: options.disableKeygen,
  });
  const token = signActorClaims(
    {
      name: options.name,
      hash: moduleHash(bytes),
      tags: options.tag ?? [],
      caps,
      rev,
      ver: options.ver,
      call_alias: options.callAlias,
      prov: options.prov === true,
    },
    {
      issuer,
      subject,
      expiresAt: expiresInDays === undefined ? undefined : nowSeconds() + expiresInDays * DAY_SECONDS,
      notBefore: notBeforeInDays === undefined ? undefined : nowSeconds() + notBeforeInDays * DAY_SECONDS,
    },
  );
  const destination = options.destination ?? defaultDestination(source);
  await writeFile(destination, embedClaims(bytes, token));
  return {
    json: {
      result: 'success',
      destination,
      capabilities: caps,
      kind,
      module: subject.publicKey,
      account: issuer.publicKey,
    },
    text: `Successfully signed ${destination} (${kind}, ${subject.publicKey}) with capabilities: ${caps.length > 0 ? caps.join(',') : '(none)'}`,
  };
}

export function registerClaimsCommands(program: Command): void {
  const claims = program.command('claims').description('sign and inspect the claims of actors and providers');

  const signCommand = claims
    .command('sign')
    .description('sign a WebAssembly module or component with actor claims')
    .argument('<source>', 'the .wasm file (core module or component) to sign')
    .helpOption('--help', 'show help (-h is --http_client, as in wash 0.1x)')
    .requiredOption('-n, --name <name>', 'a human-readable name for the actor')
    .option('-d, --destination <file>', 'where to write the signed file (default: {source stem}_s.wasm)');
  for (const [, flags, contract, what] of CAPABILITY_FLAGS)
    signCommand.option(flags, `${what} (${contract})`);
  signCommand
    .option(
      '-c, --cap <contract>',
      'a custom capability contract, e.g. cosmonic:kubernetes_applier (repeatable)',
      collect,
    )
    .option('-t, --tag <tag>', 'a tag (repeatable)', collect)
    .option('-p, --prov', 'the module is a capability provider, not an actor')
    .option('-r, --rev <n>', 'revision number')
    .option('-v, --ver <version>', 'human-readable version, e.g. 0.1.0')
    .option('-a, --call-alias <alias>', 'a name other actors can call this actor by')
    .option('-i, --issuer <seed|file>', 'the account (issuer) seed, or a file holding it')
    .option('-s, --subject <seed|file>', 'the module (subject) seed, or a file holding it')
    .option('-x, --expires <days>', 'the token expires after this many days')
    .option('-b, --nbf <days>', 'the token is not valid until this many days from now')
    .option('--directory <dir>', 'where keys are kept ($WASH_KEYS, default ~/.wash/keys)')
    .option('--disable-keygen', 'fail instead of generating keys that are not found')
    .action(async (source: string, options: SignOptions, command: Command) =>
      runAction(command, () => sign(source, options)),
    );

  claims
    .command('inspect')
    .description(
      'show and verify the claims of a module, component, provider archive (.par[.gz]) or token (.jwt)',
    )
    .argument('<file>', 'the file to inspect')
    .option('--jwt-only', 'print only the raw token')
    .action(async (file: string, options: { jwtOnly?: boolean }, command: Command) =>
      runAction(command, async () => {
        const inspected = await inspectFile(file);
        if (options.jwtOnly) return { json: { token: inspected.token }, text: inspected.token };
        return describeClaims(inspected);
      }),
    );
}
