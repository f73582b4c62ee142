// The checks that need the whole manifest (wadm.md §2c), run once its shape is right: duplicate
// component names and ids, links whose target is missing or is not a capability, links declared
// on a capability, the contract and link name each provider serves (its own, or what the links to
// it say; they must agree), the same link twice, two providers a host could not tell apart, and
// duplicated link config names. Also the warnings a put still succeeds with.

import { formatPath } from '../../lattice/json-message.ts';
import { contractWarning } from './contracts.ts';
import type { LinkDraft } from './links.ts';
import type { FieldPath, ManifestProblem } from './problems.ts';
import type { ManifestComponent, ManifestDocument } from './schema.ts';

export const DEFAULT_LINK_NAME = 'default';

/** The contract and link name a capability component's provider is started with. */
export interface ProviderIdentity {
  contract: string;
  linkName: string;
}

/** A link that passed every check, with its 2022 contract and link name. */
export interface ResolvedLink {
  draft: LinkDraft;
  targetIndex: number;
  contract: string;
  linkName: string;
}

export interface ManifestCheck {
  problems: ManifestProblem[];
  warnings: ManifestProblem[];
  /** By component index, for each capability component. */
  providers: Map<number, ProviderIdentity>;
  links: ResolvedLink[];
}

const componentPath = (index: number): FieldPath => ['spec', 'components', index];

function kindOf(component: ManifestComponent): string {
  return component.type === 'capability' ? 'a capability' : `an ${component.type}`;
}

/** The first index of each name, and a problem for every later one. */
function indexNames(
  components: readonly ManifestComponent[],
  problems: ManifestProblem[],
): Map<string, number> {
  const byName = new Map<string, number>();
  const ids = new Set<string>();
  components.forEach((component, index) => {
    if (byName.has(component.name))
      problems.push({
        path: [...componentPath(index), 'name'],
        message: `Duplicate component name in manifest: ${component.name}`,
      });
    else byName.set(component.name, index);
    const id = component.properties.id;
    if (id === undefined) return;
    if (ids.has(id))
      problems.push({
        path: [...componentPath(index), 'properties', 'id'],
        message: `Duplicate component identifier in manifest: ${id}`,
      });
    ids.add(id);
  });
  return byName;
}

interface TargetedLink {
  draft: LinkDraft;
  targetIndex: number;
}

/** Links from an actor to a capability of this manifest; a problem for each other link. */
function checkLinkEnds(
  components: readonly ManifestComponent[],
  byName: ReadonlyMap<string, number>,
  drafts: readonly LinkDraft[],
  problems: ManifestProblem[],
): TargetedLink[] {
  const targeted: TargetedLink[] = [];
  for (const draft of drafts) {
    const source = components[draft.sourceIndex]!;
    const targetIndex = byName.get(draft.target);
    const target = targetIndex === undefined ? undefined : components[targetIndex];
    if (source.type === 'capability') {
      const advice =
        target && target.type !== 'capability'
          ? `declare it on '${target.name}' with target '${source.name}'`
          : 'declare it on the actor that uses this capability';
      problems.push({
        path: draft.path,
        message: `a link goes from an actor to a capability, and '${source.name}' is a capability: ${advice}`,
      });
    } else if (targetIndex === undefined || target === undefined)
      problems.push({
        path: draft.targetPath,
        message: `The following capability component(s) are missing from the manifest: ${draft.target}`,
      });
    else if (target.type !== 'capability')
      problems.push({
        path: draft.targetPath,
        message: `'${target.name}' is ${kindOf(target)}, not a capability: a 2022 link goes from an actor to a capability provider`,
      });
    else targeted.push({ draft, targetIndex });
  }
  return targeted;
}

/** The contract and link name of each capability, from its properties or the links to it. */
function resolveProviders(
  components: readonly ManifestComponent[],
  targeted: readonly TargetedLink[],
  problems: ManifestProblem[],
): Map<number, ProviderIdentity> {
  const providers = new Map<number, ProviderIdentity>();
  components.forEach((component, index) => {
    if (component.type !== 'capability') return;
    const properties = component.properties;
    const incoming = targeted.filter((link) => link.targetIndex === index).map((link) => link.draft);
    const contractSetter = incoming.find((draft) => draft.contract !== undefined);
    const contract = properties.contract ?? contractSetter?.contract;
    if (contract === undefined)
      problems.push({
        path: [...componentPath(index), 'properties'],
        message:
          incoming.length > 0
            ? `capability '${component.name}' names no contract: give properties.contract (e.g. wasmcloud:httpserver); a linkdef does not name one`
            : `capability '${component.name}' names no contract: give properties.contract (e.g. wasmcloud:httpserver), or a link trait to it on an actor`,
      });
    for (const draft of incoming) {
      if (contract === undefined || draft.contract === undefined || draft.contract === contract) continue;
      const source =
        properties.contract !== undefined
          ? `its properties.contract`
          : `the link at ${formatPath(contractSetter?.path ?? [])}`;
      problems.push({
        path: [...draft.path, 'properties', 'package'],
        message: `this link names ${draft.contract}, but its target '${component.name}' serves ${contract} (${source})`,
      });
    }

    const nameSetter = incoming.find((draft) => draft.name !== undefined);
    const linkName = properties.link_name ?? nameSetter?.name ?? DEFAULT_LINK_NAME;
    for (const draft of incoming) {
      if (draft.name === undefined || draft.name === linkName) continue;
      problems.push({
        path: [...draft.path, 'properties', 'name'],
        message:
          properties.link_name !== undefined
            ? `link name '${draft.name}' is not the link_name '${linkName}' of capability '${component.name}'`
            : `capability '${component.name}' is already linked by the name '${linkName}' (${formatPath(nameSetter?.path ?? [])}); a provider serves one link name, so '${draft.name}' needs its own capability component with link_name '${draft.name}'`,
      });
    }
    providers.set(index, { contract: contract ?? '', linkName });
  });
  return providers;
}

function resolveLinks(
  components: readonly ManifestComponent[],
  targeted: readonly TargetedLink[],
  providers: ReadonlyMap<number, ProviderIdentity>,
  problems: ManifestProblem[],
): ResolvedLink[] {
  const firstByKey = new Map<string, LinkDraft>();
  const resolved: ResolvedLink[] = [];
  for (const { draft, targetIndex } of targeted) {
    const provider = providers.get(targetIndex)!;
    const contract = draft.contract ?? provider.contract;
    const linkName = draft.name ?? provider.linkName;
    if (contract === '') continue; // already refused: the capability names no contract
    // A 2022 link definition is keyed by actor, contract and link name: a second one replaces the first.
    const key = JSON.stringify([draft.sourceIndex, contract, linkName]);
    const first = firstByKey.get(key);
    if (first) {
      const source = components[draft.sourceIndex]!.name;
      problems.push({
        path: draft.path,
        message: `Duplicate link found inside component '${source}': ${linkName} (${contract}); the first is ${formatPath(first.path)}`,
      });
      continue;
    }
    firstByKey.set(key, draft);
    resolved.push({ draft, targetIndex, contract, linkName });
  }
  return resolved;
}

/** A host runs one provider per image and link name: two such components would be one provider. */
function checkProviderClashes(
  components: readonly ManifestComponent[],
  providers: ReadonlyMap<number, ProviderIdentity>,
  problems: ManifestProblem[],
): void {
  const firstByKey = new Map<string, string>();
  for (const [index, provider] of providers) {
    const component = components[index]!;
    const key = JSON.stringify([component.properties.image, provider.linkName]);
    const first = firstByKey.get(key);
    if (first !== undefined)
      problems.push({
        path: [...componentPath(index), 'properties', 'image'],
        message: `capability '${component.name}' has the same image and link name ('${provider.linkName}') as '${first}': a host runs one provider per image and link name`,
      });
    else firstByKey.set(key, component.name);
  }
}

/** Link config names are global in wadm (each becomes a named config): a name is used once. */
function checkLinkConfigNames(drafts: readonly LinkDraft[], problems: ManifestProblem[]): void {
  const seen = new Set<string>();
  for (const entry of drafts.flatMap((draft) => draft.configs)) {
    if (seen.has(entry.name))
      problems.push({ path: entry.path, message: `Duplicate link config name found: '${entry.name}'` });
    seen.add(entry.name);
  }
}

/**
 * An autoscaler decides an actor's whole count, so it stands alone: no second autoscaler, no
 * spreadscaler or daemonscaler beside it, and none on a capability (providers are not called
 * per request, so their in-flight calls say nothing).
 */
function checkAutoscalers(components: readonly ManifestComponent[], problems: ManifestProblem[]): void {
  components.forEach((component, index) => {
    const traits = component.traits ?? [];
    const first = traits.findIndex((trait) => trait.type === 'autoscaler');
    if (first < 0) return;
    const typePath = (at: number): FieldPath => [...componentPath(index), 'traits', at, 'type'];
    if (component.type === 'capability') {
      problems.push({
        path: typePath(first),
        message: `an autoscaler scales actors; '${component.name}' is a capability: give it a spreadscaler or daemonscaler`,
      });
      return;
    }
    traits.forEach((trait, at) => {
      if (at === first || !trait.type.endsWith('scaler')) return;
      problems.push({
        path: typePath(at),
        message:
          trait.type === 'autoscaler'
            ? `'${component.name}' has an autoscaler already (traits[${first}]): give it one`
            : `'${component.name}' has an autoscaler (traits[${first}]): an actor has either an autoscaler or spreadscalers/daemonscalers, not both`,
      });
    });
  });
}

function checkPolicyNames(document: ManifestDocument, problems: ManifestProblem[]): void {
  const seen = new Set<string>();
  (document.spec.policies ?? []).forEach((policy, index) => {
    if (seen.has(policy.name))
      problems.push({
        path: ['spec', 'policies', index, 'name'],
        message: `Duplicate policy name in manifest: ${policy.name}`,
      });
    seen.add(policy.name);
  });
}

const NOT_USED = 'kept in the manifest, not used';

function collectWarnings(
  components: readonly ManifestComponent[],
  drafts: readonly LinkDraft[],
): ManifestProblem[] {
  const warnings: ManifestProblem[] = [];
  const warnedContracts = new Set<string>();
  const warnContract = (contract: string | undefined, path: FieldPath) => {
    if (contract === undefined || warnedContracts.has(contract)) return;
    warnedContracts.add(contract);
    const warning = contractWarning(contract);
    if (warning) warnings.push({ path, message: warning });
  };
  components.forEach((component, index) => {
    const path = componentPath(index);
    const properties = component.properties;
    if (component.type === 'capability') {
      warnContract(component.properties.contract, [...path, 'properties', 'contract']);
      const config = component.properties.config;
      if (Array.isArray(config))
        config.forEach((entry, configIndex) => {
          if (entry.properties === undefined)
            warnings.push({
              path: [...path, 'properties', 'config', configIndex],
              message: `config '${entry.name}' has no properties: a 2022 lattice keeps no named config, so it adds nothing to the provider's config`,
            });
        });
    } else {
      if (component.properties.config?.length)
        warnings.push({
          path: [...path, 'properties', 'config'],
          message: `an actor on a 2022 lattice gets no config: ${NOT_USED}`,
        });
      const scaled = (component.traits ?? []).some((trait) => trait.type.endsWith('scaler'));
      if (!scaled)
        warnings.push({
          path,
          message: `'${component.name}' has no spreadscaler, daemonscaler or autoscaler: nothing starts it`,
        });
    }
    if (properties.secrets?.length)
      warnings.push({
        path: [...path, 'properties', 'secrets'],
        message: `a 2022 lattice has no secrets: ${NOT_USED}`,
      });
  });
  for (const draft of drafts) {
    warnContract(draft.contract, [...draft.path, 'properties']);
    for (const key of draft.deprecatedKeys)
      warnings.push({
        path: [...draft.path, 'properties', key],
        message: `deprecated: use ${key === 'source_config' ? 'source.config' : 'target.config'}`,
      });
    for (const entry of draft.configs)
      if (!entry.hasProperties)
        warnings.push({
          path: entry.path.slice(0, -1),
          message: `config '${entry.name}' has no properties: a 2022 lattice keeps no named config, so it adds no link values`,
        });
    for (const path of draft.secretPaths)
      warnings.push({ path, message: `a 2022 lattice has no secrets: ${NOT_USED}` });
  }
  return warnings;
}

/** Every cross-reference problem of a manifest whose shape is right, and its warnings. */
export function checkManifest(document: ManifestDocument, drafts: readonly LinkDraft[]): ManifestCheck {
  const components = document.spec.components;
  const problems: ManifestProblem[] = [];
  const byName = indexNames(components, problems);
  const targeted = checkLinkEnds(components, byName, drafts, problems);
  const providers = resolveProviders(components, targeted, problems);
  const links = resolveLinks(components, targeted, providers, problems);
  checkProviderClashes(components, providers, problems);
  checkLinkConfigNames(drafts, problems);
  checkAutoscalers(components, problems);
  checkPolicyNames(document, problems);
  return { problems, warnings: collectWarnings(components, drafts), providers, links };
}
