// Packaging for TypeScript providers: bundle an entry into one ES module and sign it into a
// `js-node` provider archive. The build of the project's providers calls `buildJsProviderArchive`.

export { type BundleOptions, bundleJsProvider, ProviderBundleError } from './bundle.ts';
export {
  type BuildJsProviderArchiveOptions,
  type BuiltJsProviderArchive,
  buildJsProviderArchive,
} from './js-provider-archive.ts';
