// Manifests the controller's tests put: a small valid one (2022 form, one actor) by name and
// version, and one the parser accepts with a warning.

/** A valid 2022-form manifest: one actor with a spreadscaler; `extra` annotations (description, …). */
export function manifestBytes(
  name: string,
  version?: string,
  extra: Record<string, string> = {},
): Uint8Array {
  const annotations: Record<string, string> = { ...extra };
  if (version !== undefined) annotations.version = version;
  return new TextEncoder().encode(
    JSON.stringify({
      apiVersion: 'core.oam.dev/v1beta1',
      kind: 'Application',
      metadata: { name, annotations },
      spec: {
        components: [
          {
            name: 'echo',
            type: 'actor',
            properties: { image: 'wasmcloud.azurecr.io/echo:0.3.4' },
            traits: [{ type: 'spreadscaler', properties: { replicas: 1 } }],
          },
        ],
      },
    }),
  );
}

/** Accepted with a warning: the current form's deprecated `source_config`. */
export const WARNED_MANIFEST = new TextEncoder().encode(`apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: warned
  annotations:
    version: v1
spec:
  components:
    - name: echo
      type: component
      properties:
        image: wasmcloud.azurecr.io/echo:0.3.4
      traits:
        - type: spreadscaler
          properties:
            instances: 1
        - type: link
          properties:
            namespace: wasmcloud
            package: httpserver
            interfaces: [incoming-handler]
            target: httpserver
            source_config: []
    - name: httpserver
      type: capability
      properties:
        image: wasmcloud.azurecr.io/httpserver:0.14.7
`);
