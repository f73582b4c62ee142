// `node providers/packaging/cli.ts --entry providers/x/main.ts --capid wasmcloud:x --name X
//   --vendor acme --issuer <seed|file> --subject <seed|file> --out build/x.par.gz
//   [--version 0.1.0] [--revision 1] [--compress] [--minify]`
// Bundles a TypeScript provider and writes its signed js-node provider archive.

import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ProviderError } from '../sdk/errors.ts';
import { buildJsProviderArchive } from './js-provider-archive.ts';

const USAGE =
  'usage: node providers/packaging/cli.ts --entry FILE --capid ID --name NAME --vendor VENDOR ' +
  '--issuer SEED|FILE --subject SEED|FILE --out FILE [--version V] [--revision N] [--compress] [--minify]';

function seedFrom(value: string): string {
  return value.startsWith('S') && !existsSync(value) ? value : readFileSync(value, 'utf8').trim();
}

function required(values: Record<string, string | boolean | undefined>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '')
    throw new ProviderError('PACKAGING_BAD_ARGUMENT', `--${name} is required\n${USAGE}`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      entry: { type: 'string' },
      capid: { type: 'string' },
      name: { type: 'string' },
      vendor: { type: 'string' },
      version: { type: 'string' },
      revision: { type: 'string' },
      issuer: { type: 'string' },
      subject: { type: 'string' },
      out: { type: 'string' },
      compress: { type: 'boolean' },
      minify: { type: 'boolean' },
    },
    strict: true,
  });
  const revisionText = values.revision;
  if (revisionText !== undefined && !/^\d+$/.test(revisionText))
    throw new ProviderError(
      'PACKAGING_BAD_ARGUMENT',
      `--revision takes a whole number, not "${revisionText}"`,
    );
  const built = await buildJsProviderArchive({
    entry: required(values, 'entry'),
    capabilityId: required(values, 'capid'),
    name: required(values, 'name'),
    vendor: required(values, 'vendor'),
    version: values.version,
    revision: revisionText === undefined ? undefined : Number(revisionText),
    issuer: seedFrom(required(values, 'issuer')),
    subject: seedFrom(required(values, 'subject')),
    out: required(values, 'out'),
    compress: values.compress ?? false,
    minify: values.minify ?? false,
  });
  process.stdout.write(
    `${JSON.stringify({ path: built.path, provider_key: built.providerKey, bundle_size: built.bundleSize })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
