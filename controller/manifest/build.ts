// The checked manifest as the controller's model (types.ts), in 2022 control-interface terms:
// actors with their scalers and link definitions, providers with the contract and link name they
// are started with and their config_json. A capability with no scaler trait runs one instance
// somewhere, as in wadm ("providers may omit the scaler entirely").

import type { CapabilityManifestComponent, ManifestDocument, ManifestTrait } from './schema.ts';
import { rawProviderConfigJson } from './schema-2022.ts';
import type { ConfigProperty } from './schema-current.ts';
import { anyHostSpread } from './schema-scaler.ts';
import type {
  ActorComponent,
  ActorScalerSpec,
  AppComponent,
  AppManifest,
  AutoscalerSpec,
  LinkSpec,
  ProviderComponent,
  ScalerSpec,
} from './types.ts';
import type { ManifestCheck } from './validate.ts';

function scalersOf(traits: readonly ManifestTrait[] | undefined): ScalerSpec[] {
  return (traits ?? []).filter(
    (trait): trait is Extract<ManifestTrait, ScalerSpec> =>
      trait.type === 'spreadscaler' || trait.type === 'daemonscaler',
  );
}

/** An actor's scalers: its spreadscalers and daemonscalers, or its autoscaler (validate.ts). */
function actorScalersOf(traits: readonly ManifestTrait[] | undefined): ActorScalerSpec[] {
  const autoscaler = (traits ?? []).find(
    (trait): trait is Extract<ManifestTrait, AutoscalerSpec> => trait.type === 'autoscaler',
  );
  return autoscaler === undefined ? scalersOf(traits) : [autoscaler];
}

/** Named config entries merged in order (a later entry wins a key); none with properties: none. */
function namedConfigJson(entries: readonly ConfigProperty[]): string | undefined {
  const withProperties = entries.filter((entry) => entry.properties !== undefined);
  if (withProperties.length === 0) return undefined;
  return JSON.stringify(Object.assign({}, ...withProperties.map((entry) => entry.properties)));
}

function providerConfig(config: CapabilityManifestComponent['properties']['config']): string | undefined {
  if (config === undefined) return undefined;
  return Array.isArray(config) ? namedConfigJson(config) : rawProviderConfigJson(config);
}

export interface ManifestIdentity {
  version: string;
  /** The document as the user wrote it, with the version the controller assigned, if any. */
  document: unknown;
}

/** The model of a manifest that passed every check. */
export function buildAppManifest(
  parsed: ManifestDocument,
  check: ManifestCheck,
  identity: ManifestIdentity,
): AppManifest {
  const components = parsed.spec.components;
  const model = components.map((component, index): AppComponent => {
    if (component.type === 'capability') {
      const scalers = scalersOf(component.traits);
      const provider = check.providers.get(index)!;
      const built: ProviderComponent = {
        kind: 'provider',
        name: component.name,
        image: component.properties.image,
        contract: provider.contract,
        linkName: provider.linkName,
        config: providerConfig(component.properties.config),
        scalers:
          scalers.length > 0 ? scalers : [{ type: 'spreadscaler', instances: 1, spread: [anyHostSpread()] }],
      };
      return built;
    }
    const links = check.links
      .filter((link) => link.draft.sourceIndex === index)
      .map(
        (link): LinkSpec => ({
          target: components[link.targetIndex]!.name,
          contract: link.contract,
          linkName: link.linkName,
          values: link.draft.values,
        }),
      );
    const built: ActorComponent = {
      kind: 'actor',
      name: component.name,
      image: component.properties.image,
      scalers: actorScalersOf(component.traits),
      links,
    };
    return built;
  });
  const annotations: Record<string, string> = { ...parsed.metadata.annotations, version: identity.version };
  return {
    name: parsed.metadata.name,
    version: identity.version,
    description: annotations.description,
    annotations,
    components: model,
    policies: (parsed.spec.policies ?? []).map((policy) => ({
      name: policy.name,
      type: policy.type,
      properties: policy.properties ?? {},
    })),
    document: identity.document,
  };
}
