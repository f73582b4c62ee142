// Application manifests (OAM, the 2022 form of wadm.md §2) for the tests of the controller's
// clients: one actor with a spreadscaler, as YAML text, optionally placed by labels and linked to
// a capability component.

import { dump } from 'js-yaml';

export interface ActorAppManifest {
  name: string;
  version: string;
  description?: string;
  /** The actor's image: an OCI reference or a file path. */
  image: string;
  /** Passed as written, so a test can give a bad value. */
  replicas: number | string;
  /** Labels a host must have (one spread). */
  requirements?: Record<string, string>;
  /** A capability component the actor links to (linkdef). */
  linkTo?: { name: string; image: string; contract: string };
}

/** The manifest as YAML text. */
export function actorAppYaml(app: ActorAppManifest): string {
  const spread = app.requirements ? { spread: [{ name: 'placed', requirements: app.requirements }] } : {};
  const traits: unknown[] = [{ type: 'spreadscaler', properties: { replicas: app.replicas, ...spread } }];
  const components: unknown[] = [{ name: 'echo', type: 'actor', properties: { image: app.image }, traits }];
  if (app.linkTo) {
    traits.push({ type: 'linkdef', properties: { target: app.linkTo.name } });
    components.push({
      name: app.linkTo.name,
      type: 'capability',
      properties: { image: app.linkTo.image, contract: app.linkTo.contract },
    });
  }
  const annotations = { version: app.version, ...(app.description ? { description: app.description } : {}) };
  return dump({
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name: app.name, annotations },
    spec: { components },
  });
}

/** `autoscaler` trait properties as a manifest writes them (docs/apps.md, "Autoscaling"). */
export interface AutoscalerProperties {
  min: number;
  max: number;
  targetConcurrency: number;
  scaleDownDelay: string;
}

/**
 * An actor with an `autoscaler`, linked to the built-in httpserver (`wasmcloud+builtin://httpserver`,
 * a daemonscaler: one per host) listening on 127.0.0.1:`httpPort`; as YAML text.
 */
export function autoscaledHttpAppYaml(options: {
  name: string;
  image: string;
  httpPort: number;
  autoscaler: AutoscalerProperties;
}): string {
  return dump({
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name: options.name, annotations: { version: 'v1' } },
    spec: {
      components: [
        {
          name: 'echo',
          type: 'actor',
          properties: { image: options.image },
          traits: [
            { type: 'autoscaler', properties: options.autoscaler },
            {
              type: 'linkdef',
              properties: { target: 'httpserver', values: { ADDRESS: `127.0.0.1:${options.httpPort}` } },
            },
          ],
        },
        {
          name: 'httpserver',
          type: 'capability',
          properties: {
            image: 'wasmcloud+builtin://httpserver',
            contract: 'wasmcloud:httpserver',
            link_name: 'default',
          },
          traits: [{ type: 'daemonscaler', properties: { replicas: 1 } }],
        },
      ],
    },
  });
}
