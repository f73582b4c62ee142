// `wash/provider-sdk`: the provider SDK (providers/sdk) as a project made by `wash new provider`
// imports it. The wash package carries it so a provider project needs nothing but `wash`; `wash
// build` bundles it into the provider's archive, so a built provider needs nothing at all.

export * from '../providers/sdk/mod.ts';
