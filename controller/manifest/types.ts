// The controller's model of an application: what a manifest (either form of wadm.md §2) becomes
// once parsed and validated, already in the terms of the 2022 control interface (actors, providers
// with contract and link name, link definitions with string values). Everything past the parser
// works on these types only; the manifest as the user wrote it is kept beside them in `document`.

/** Where instances may go: hosts whose labels include every requirement; weight defaults to 100. */
export interface Spread {
  name: string;
  requirements: Record<string, string>;
  weight: number;
}

/**
 * `spreadscaler`: `instances` in total over the matching hosts, split by the spreads' weights.
 * `daemonscaler`: `instances` on every host that matches a spread (one per host for a provider).
 */
export interface ScalerSpec {
  type: 'spreadscaler' | 'daemonscaler';
  instances: number;
  spread: Spread[];
}

/**
 * `autoscaler` (a wasmcloud-ts trait, actors only): between `min` and `max` instances over the
 * spreads, as many as the calls in flight ask for at `targetConcurrency` calls per instance; fewer
 * only after `scaleDownDelayMs` of lower demand, `min` (0: dormant) after that long without calls.
 */
export interface AutoscalerSpec {
  type: 'autoscaler';
  min: number;
  max: number;
  targetConcurrency: number;
  scaleDownDelayMs: number;
  spread: Spread[];
}

/** An actor's scaler traits: spreadscalers and daemonscalers, or one autoscaler alone. */
export type ActorScalerSpec = ScalerSpec | AutoscalerSpec;

/** A link from an actor to a provider component, as a 2022 link definition. */
export interface LinkSpec {
  /** The name of the provider component in the same manifest. */
  target: string;
  /** e.g. `wasmcloud:httpserver` (2022: the target's contract; current: `namespace:package`). */
  contract: string;
  linkName: string;
  values: Record<string, string>;
}

export interface ActorComponent {
  kind: 'actor';
  name: string;
  /** An OCI reference or a file path, passed to the host as the actor reference. */
  image: string;
  scalers: ActorScalerSpec[];
  links: LinkSpec[];
}

export interface ProviderComponent {
  kind: 'provider';
  name: string;
  image: string;
  /** The contract it serves: the 2022 `contract`, or the contract of the links that target it. */
  contract: string;
  linkName: string;
  /** The provider's `config_json` at start, when the manifest gives one. */
  config: string | undefined;
  scalers: ScalerSpec[];
}

export type AppComponent = ActorComponent | ProviderComponent;

export interface AppPolicy {
  name: string;
  type: string;
  properties: Record<string, unknown>;
}

/** A validated application manifest, one version of one application. */
export interface AppManifest {
  name: string;
  /** The `version` annotation, or a ULID the controller assigned when it was absent. */
  version: string;
  description: string | undefined;
  annotations: Record<string, string>;
  components: AppComponent[];
  /** Stored and shown; nothing enforces them (as in wadm). */
  policies: AppPolicy[];
  /** The manifest as the user wrote it (parsed from YAML or JSON), returned by `model.get`. */
  document: unknown;
}

/** What parsing gives: a manifest and warnings, or one message naming every problem. */
export type ManifestParseResult =
  | { ok: true; manifest: AppManifest; warnings: string[] }
  | { ok: false; error: string };
