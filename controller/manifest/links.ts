// Both link traits in one shape: the 2022 `linkdef {target, values}` and the current `link
// {namespace, package, interfaces, name?, source?, target, source_config?, target_config?}`. On a
// 2022 lattice a link is a link definition from an actor to a provider: `namespace:package` is
// its contract and the properties of the source and target config entries are its values (the
// target's win where both give a key). Paths point into the user's document for messages.

import type { FieldPath } from './problems.ts';
import type { ManifestComponent } from './schema.ts';
import type { ConfigProperty, LinkTrait } from './schema-current.ts';

/** A config entry a link names, with where it is. */
export interface LinkConfigEntry {
  name: string;
  path: FieldPath;
  hasProperties: boolean;
}

export interface LinkDraft {
  /** Index of the component that declares the link (its source). */
  sourceIndex: number;
  /** Path of the trait: `spec.components[0].traits[1]`. */
  path: FieldPath;
  form: 'linkdef' | 'link';
  target: string;
  targetPath: FieldPath;
  /** `namespace:package` of a current-form link; a linkdef takes its target's contract. */
  contract: string | undefined;
  /** The link name a current-form link gives; otherwise the target capability's. */
  name: string | undefined;
  values: Record<string, string>;
  configs: LinkConfigEntry[];
  /** The deprecated keys (source_config, target_config) the trait uses. */
  deprecatedKeys: string[];
  /** Paths of secrets the link names (a 2022 lattice has nowhere to put them). */
  secretPaths: FieldPath[];
}

function configEntries(
  configs: readonly ConfigProperty[] | undefined,
  path: FieldPath,
): { values: Record<string, string>; entries: LinkConfigEntry[] } {
  const values: Record<string, string> = {};
  const entries = (configs ?? []).map((config, index): LinkConfigEntry => {
    Object.assign(values, config.properties ?? {});
    return {
      name: config.name,
      path: [...path, index, 'name'],
      hasProperties: config.properties !== undefined,
    };
  });
  return { values, entries };
}

function draftOfLink(sourceIndex: number, path: FieldPath, link: LinkTrait['properties']): LinkDraft {
  const propertiesPath = [...path, 'properties'];
  const targetIsName = typeof link.target === 'string';
  const target = typeof link.target === 'string' ? link.target : link.target.name;
  const source =
    link.source !== undefined
      ? configEntries(link.source.config, [...propertiesPath, 'source', 'config'])
      : configEntries(link.source_config, [...propertiesPath, 'source_config']);
  const targetEnd =
    typeof link.target === 'string'
      ? configEntries(link.target_config, [...propertiesPath, 'target_config'])
      : configEntries(link.target.config, [...propertiesPath, 'target', 'config']);
  const secretPaths: FieldPath[] = [];
  if (link.source?.secrets?.length) secretPaths.push([...propertiesPath, 'source', 'secrets']);
  if (typeof link.target !== 'string' && link.target.secrets?.length)
    secretPaths.push([...propertiesPath, 'target', 'secrets']);
  return {
    sourceIndex,
    path,
    form: 'link',
    target,
    targetPath: targetIsName ? [...propertiesPath, 'target'] : [...propertiesPath, 'target', 'name'],
    contract: `${link.namespace}:${link.package}`,
    name: link.name,
    values: { ...source.values, ...targetEnd.values },
    configs: [...source.entries, ...targetEnd.entries],
    deprecatedKeys: (['source_config', 'target_config'] as const).filter((key) => link[key] !== undefined),
    secretPaths,
  };
}

/** Every link of the manifest, in document order. */
export function collectLinks(components: readonly ManifestComponent[]): LinkDraft[] {
  return components.flatMap((component, sourceIndex) =>
    (component.traits ?? []).flatMap((trait, traitIndex): LinkDraft[] => {
      const path = ['spec', 'components', sourceIndex, 'traits', traitIndex];
      if (trait.type === 'link') return [draftOfLink(sourceIndex, path, trait.properties)];
      if (trait.type !== 'linkdef') return [];
      return [
        {
          sourceIndex,
          path,
          form: 'linkdef',
          target: trait.properties.target,
          targetPath: [...path, 'properties', 'target'],
          contract: undefined,
          name: undefined,
          values: trait.properties.values ?? {},
          configs: [],
          deprecatedKeys: [],
          secretPaths: [],
        },
      ];
    }),
  );
}
