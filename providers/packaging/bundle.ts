// Bundles a TypeScript provider entry into one self-contained ES module: everything it imports
// (the SDK, lattice/, nats, zod, msgpackr, …) inlined, only `node:` built-ins left as imports, so
// the file runs on any machine with Node (the `js-node` target of provider archives).

import { isBuiltin } from 'node:module';
import { build, type Message } from 'esbuild';
import { errorMessage } from '../../lattice/errors.ts';
import { ProviderError } from '../sdk/errors.ts';

/** The provider entry could not be bundled into one self-contained module. */
export class ProviderBundleError extends ProviderError {}

// CommonJS dependencies (the NATS client) call `require` for built-ins; an ES module has none,
// so the bundle makes one. Hidden names keep it clear of the bundled code's own identifiers.
const REQUIRE_SHIM =
  "import { createRequire as __providerCreateRequire } from 'node:module';\n" +
  'const require = __providerCreateRequire(import.meta.url);';

/** The Node version the bundle is compiled for: the one the host runs providers with. */
const NODE_TARGET = 'node24';

function describeMessages(messages: readonly Message[]): string {
  return messages
    .slice(0, 5)
    .map((message) => {
      const where = message.location
        ? `${message.location.file}:${message.location.line}:${message.location.column}: `
        : '';
      return `${where}${message.text}`;
    })
    .join('; ');
}

export interface BundleOptions {
  /** Minify the bundle (smaller archives, unreadable stack traces). Default false. */
  minify?: boolean;
}

/** Bundles `entry`; rejects with ProviderBundleError on a build error or an import that is not a built-in. */
export async function bundleJsProvider(entry: string, options: BundleOptions = {}): Promise<Uint8Array> {
  let result: Awaited<ReturnType<typeof build<{ write: false; metafile: true }>>>;
  try {
    result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: NODE_TARGET,
      write: false,
      metafile: true,
      minify: options.minify ?? false,
      legalComments: 'none',
      banner: { js: REQUIRE_SHIM },
      logLevel: 'silent',
    });
  } catch (error) {
    const errors = (error as { errors?: Message[] }).errors;
    const detail = errors && errors.length > 0 ? describeMessages(errors) : errorMessage(error);
    throw new ProviderBundleError('BUNDLE_FAILED', `cannot bundle provider ${entry}: ${detail}`, {
      cause: error,
    });
  }
  const [output] = result.outputFiles;
  if (output === undefined || result.outputFiles.length !== 1) {
    throw new ProviderBundleError(
      'BUNDLE_NOT_ONE_FILE',
      `bundling provider ${entry} produced ${result.outputFiles.length} files, not one`,
    );
  }
  // What is left as an import must be a Node built-in, or the bundle would not run elsewhere.
  for (const meta of Object.values(result.metafile.outputs)) {
    const outside = meta.imports.filter((imported) => imported.external && !isBuiltin(imported.path));
    if (outside.length > 0) {
      throw new ProviderBundleError(
        'BUNDLE_NOT_SELF_CONTAINED',
        `the bundle of provider ${entry} still imports ${outside.map((i) => i.path).join(', ')}: only node: built-ins may stay outside`,
      );
    }
  }
  return output.contents;
}
