// The application manifest parser (controller/manifest/): both forms of wadm.md §2, in YAML and
// JSON, into the controller's model; and every refusal of §2c with the path it names in the
// user's document. Pure unit tests: no NATS.

import { readFileSync } from 'node:fs';
import { dump, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../controller/manifest/parse.ts';
import type { AppManifest, ManifestParseResult } from '../../controller/manifest/types.ts';
import { newUlid, ulidOf } from '../../controller/manifest/version.ts';
import { storedManifestSchema } from '../../controller/store-records.ts';
import { MAX_MANIFEST_BYTES } from '../../lattice/wadm-api.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/manifests/${name}`, import.meta.url));
const utf8 = new TextEncoder();
const yamlBytes = (document: unknown) => utf8.encode(dump(document));
const jsonBytes = (document: unknown) => utf8.encode(JSON.stringify(document));
const fixedVersion = { newVersion: () => 'v-assigned' };

function accepted(result: ManifestParseResult): { manifest: AppManifest; warnings: string[] } {
  if (!result.ok) throw new Error(`expected the manifest to be accepted, got: ${result.error}`);
  return result;
}

function refusal(result: ManifestParseResult): string {
  if (result.ok) throw new Error('expected the manifest to be refused, but it was accepted');
  return result.error;
}

// biome-ignore lint/suspicious/noExplicitAny: test documents are edited freely, as a user would.
type Doc = any;

/** A small valid 2022-form application to break in one place per test. */
function echoApp(): Doc {
  return {
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name: 'echo', annotations: { version: 'v1' } },
    spec: {
      components: [
        {
          name: 'echo',
          type: 'actor',
          properties: { image: 'wasmcloud.azurecr.io/echo:0.3.4' },
          traits: [
            { type: 'spreadscaler', properties: { replicas: 1 } },
            { type: 'linkdef', properties: { target: 'httpserver', values: { ADDRESS: '0.0.0.0:8080' } } },
          ],
        },
        {
          name: 'httpserver',
          type: 'capability',
          properties: { image: 'wasmcloud.azurecr.io/httpserver:0.14.7', contract: 'wasmcloud:httpserver' },
        },
      ],
    },
  };
}

/** A small valid current-form application. */
function currentApp(): Doc {
  return {
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata: { name: 'kv', annotations: { version: 'v1' } },
    spec: {
      components: [
        {
          name: 'counter',
          type: 'component',
          properties: { image: 'ghcr.io/example/counter:1' },
          traits: [
            { type: 'spreadscaler', properties: { instances: 1 } },
            {
              type: 'link',
              properties: {
                namespace: 'wasmcloud',
                package: 'keyvalue',
                interfaces: ['key-value'],
                target: { name: 'kv', config: [{ name: 'kv-url', properties: { URL: 'redis://r:6379' } }] },
              },
            },
          ],
        },
        { name: 'kv', type: 'capability', properties: { image: 'ghcr.io/example/kv:1' } },
      ],
    },
  };
}

const errorOf = (document: Doc) => refusal(parseManifest(yamlBytes(document)));

describe('parseManifest: the 2022 form', () => {
  const expectedEcho: Omit<AppManifest, 'document'> = {
    name: 'echo',
    version: 'v0.0.1',
    description: 'Echo over HTTP',
    annotations: {
      version: 'v0.0.1',
      description: 'Echo over HTTP',
      'wasmcloud.dev/authors': 'wasmCloud team',
    },
    components: [
      {
        kind: 'actor',
        name: 'echo',
        image: 'wasmcloud.azurecr.io/echo:0.3.4',
        scalers: [
          {
            type: 'spreadscaler',
            instances: 4,
            spread: [
              { name: 'eastcoast', requirements: { zone: 'us-east-1' }, weight: 80 },
              { name: 'westcoast', requirements: { zone: 'us-west-1' }, weight: 20 },
            ],
          },
        ],
        links: [
          {
            target: 'httpserver',
            contract: 'wasmcloud:httpserver',
            linkName: 'default',
            // A number YAML read as such is a string value of the link definition.
            values: { ADDRESS: '0.0.0.0:8080', timeout_ms: '5000' },
          },
        ],
      },
      {
        kind: 'provider',
        name: 'httpserver',
        image: 'wasmcloud.azurecr.io/httpserver:0.14.7',
        contract: 'wasmcloud:httpserver',
        linkName: 'default',
        config: '{}',
        scalers: [
          { type: 'daemonscaler', instances: 1, spread: [{ name: 'all', requirements: {}, weight: 100 }] },
        ],
      },
    ],
    policies: [],
  };

  it('reads the echo + httpserver app from YAML into the whole model', () => {
    const { manifest, warnings } = accepted(parseManifest(fixture('echo-2022.yaml')));
    expect(warnings).toEqual([]);
    expect(manifest).toEqual({ ...expectedEcho, document: load(fixture('echo-2022.yaml').toString()) });
  });

  it('reads examples/echo-app.yaml without a warning', () => {
    const example = readFileSync(new URL('../../examples/echo-app.yaml', import.meta.url));
    const { manifest, warnings } = accepted(parseManifest(example));
    expect(warnings).toEqual([]);
    expect(manifest.components.map((component) => [component.kind, component.name])).toEqual([
      ['actor', 'echo'],
      ['provider', 'httpserver'],
    ]);
  });

  it('reads the same app from JSON into the same model', () => {
    const document = load(fixture('echo-2022.yaml').toString());
    const { manifest } = accepted(parseManifest(jsonBytes(document)));
    expect(manifest).toEqual({ ...expectedEcho, document });
  });

  it('passes a string provider config as it is and any other value as its JSON', () => {
    const app = echoApp();
    app.spec.components[1].properties.config = '{"raw": "json"}';
    const asString = accepted(parseManifest(yamlBytes(app))).manifest.components[1];
    expect(asString).toMatchObject({ kind: 'provider', config: '{"raw": "json"}' });
    app.spec.components[1].properties.config = { some: 'config', number: 1, nested: { list: [1, 2] } };
    const asValue = accepted(parseManifest(yamlBytes(app))).manifest.components[1];
    expect(asValue).toMatchObject({ config: '{"some":"config","number":1,"nested":{"list":[1,2]}}' });
  });

  it('starts a provider with its link_name, and links to it by that name', () => {
    const app = echoApp();
    app.spec.components[1].properties.link_name = 'backend';
    const { manifest } = accepted(parseManifest(yamlBytes(app)));
    expect(manifest.components[1]).toMatchObject({ linkName: 'backend' });
    expect(manifest.components[0]).toMatchObject({ links: [{ target: 'httpserver', linkName: 'backend' }] });
  });

  it('gives a capability without a scaler trait one instance on any host, as wadm does', () => {
    const { manifest } = accepted(parseManifest(yamlBytes(echoApp())));
    expect(manifest.components[1]).toMatchObject({
      config: undefined,
      scalers: [
        { type: 'spreadscaler', instances: 1, spread: [{ name: 'default', requirements: {}, weight: 100 }] },
      ],
    });
  });

  it('reads a `component` with linkdef traits and `instances` (forms mixed, as real manifests do)', () => {
    const app = echoApp();
    app.spec.components[0].type = 'component';
    app.spec.components[0].traits[0] = { type: 'spreadscaler', properties: { instances: 2 } };
    const { manifest } = accepted(parseManifest(yamlBytes(app)));
    expect(manifest.components[0]).toMatchObject({
      kind: 'actor',
      scalers: [{ type: 'spreadscaler', instances: 2 }],
      links: [{ target: 'httpserver', contract: 'wasmcloud:httpserver', linkName: 'default' }],
    });
  });

  it('accepts zero replicas (scale to zero) and YAML aliases for a shared spread', () => {
    const text = `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: { name: shared }
spec:
  components:
    - name: a
      type: actor
      properties: { image: ./a.wasm }
      traits:
        - type: spreadscaler
          properties: { replicas: 0, spread: &east [{ name: east, requirements: { zone: east } }] }
    - name: b
      type: actor
      properties: { image: ./b.wasm }
      traits:
        - type: daemonscaler
          properties: { replicas: 2, spread: *east }
`;
    const { manifest } = accepted(parseManifest(utf8.encode(text), fixedVersion));
    const east = [{ name: 'east', requirements: { zone: 'east' }, weight: 100 }];
    expect(manifest.components.map((component) => component.scalers)).toEqual([
      [{ type: 'spreadscaler', instances: 0, spread: east }],
      [{ type: 'daemonscaler', instances: 2, spread: east }],
    ]);
  });
});

describe('parseManifest: the current form', () => {
  it('reads a component, links with target and source config, named provider config and policies', () => {
    const bytes = fixture('kvcounter-current.yaml');
    const { manifest, warnings } = accepted(parseManifest(bytes, fixedVersion));
    expect(warnings).toEqual([]);
    const document = load(bytes.toString()) as Doc;
    // The assigned version is written into the stored document, so a re-put of `get` keeps it.
    document.metadata.annotations.version = 'v-assigned';
    expect(manifest).toEqual({
      name: 'kvcounter',
      version: 'v-assigned',
      description: 'Counts HTTP requests in a key-value store',
      annotations: { description: 'Counts HTTP requests in a key-value store', version: 'v-assigned' },
      components: [
        {
          kind: 'actor',
          name: 'counter',
          image: 'file:///srv/actors/kvcounter_s.wasm',
          scalers: [
            {
              type: 'spreadscaler',
              instances: 3,
              spread: [{ name: 'edge', requirements: { role: 'edge' }, weight: 100 }],
            },
          ],
          links: [
            {
              target: 'kv',
              contract: 'wasmcloud:keyvalue',
              linkName: 'default',
              values: { URL: 'redis://127.0.0.1:6379' },
            },
            {
              target: 'web',
              contract: 'wasmcloud:httpserver',
              linkName: 'public',
              values: { timeout_ms: '3000', address: '0.0.0.0:8081' },
            },
          ],
        },
        {
          kind: 'provider',
          name: 'kv',
          image: 'ghcr.io/example/keyvalue:0.1.0',
          contract: 'wasmcloud:keyvalue',
          linkName: 'default',
          // Named config entries merged in order: the later one wins `db`.
          config: '{"db":"2","pool":"8"}',
          scalers: [
            {
              type: 'spreadscaler',
              instances: 1,
              spread: [{ name: 'default', requirements: {}, weight: 100 }],
            },
          ],
        },
        {
          kind: 'provider',
          name: 'web',
          image: './providers/httpserver.par.gz',
          contract: 'wasmcloud:httpserver',
          linkName: 'public',
          config: undefined,
          scalers: [
            {
              type: 'daemonscaler',
              instances: 1,
              spread: [{ name: 'default', requirements: {}, weight: 100 }],
            },
          ],
        },
      ],
      policies: [{ name: 'on-call', type: 'example.com/pager', properties: { team: 'platform' } }],
      document,
    });
  });

  it('reads the same app from JSON into the same model', () => {
    const fromYaml = accepted(parseManifest(fixture('kvcounter-current.yaml'), fixedVersion)).manifest;
    const json = jsonBytes(load(fixture('kvcounter-current.yaml').toString()));
    expect(accepted(parseManifest(json, fixedVersion)).manifest).toEqual(fromYaml);
  });

  it('reads the older target: "<name>", source_config and target_config, with deprecation warnings', () => {
    const app = currentApp();
    app.spec.components[0].traits[1].properties = {
      namespace: 'wasmcloud',
      package: 'keyvalue',
      interfaces: ['key-value'],
      target: 'kv',
      source_config: [{ name: 'src', properties: { A: 'source', B: 'source' } }],
      target_config: [{ name: 'tgt', properties: { B: 'target' } }],
    };
    const { manifest, warnings } = accepted(parseManifest(yamlBytes(app)));
    expect(manifest.components[0]).toMatchObject({
      links: [
        {
          target: 'kv',
          contract: 'wasmcloud:keyvalue',
          linkName: 'default',
          values: { A: 'source', B: 'target' },
        },
      ],
    });
    expect(warnings).toEqual([
      'spec.components[0].traits[1].properties.source_config: deprecated: use source.config',
      'spec.components[0].traits[1].properties.target_config: deprecated: use target.config',
    ]);
  });

  it('takes a link name from the link, and a contract from the capability when both give it', () => {
    const app = currentApp();
    app.spec.components[0].traits[1].properties.name = 'cache';
    app.spec.components[1].properties.contract = 'wasmcloud:keyvalue';
    const { manifest } = accepted(parseManifest(yamlBytes(app)));
    expect(manifest.components[1]).toMatchObject({ contract: 'wasmcloud:keyvalue', linkName: 'cache' });
    expect(manifest.components[0]).toMatchObject({
      links: [{ linkName: 'cache', contract: 'wasmcloud:keyvalue' }],
    });
  });

  it('warns of what a 2022 lattice does not use, of unknown packages and of unscaled actors', () => {
    const app = currentApp();
    const [counter, kv] = app.spec.components;
    counter.traits.splice(0, 1);
    counter.properties.config = [{ name: 'greeting', properties: { lang: 'en' } }];
    counter.properties.secrets = [{ name: 'token', properties: { policy: 'vault', key: 'api-token' } }];
    counter.traits[0].properties.package = 'keyvaleu';
    counter.traits[0].properties.target.config.push({ name: 'shared-elsewhere' });
    kv.properties.config = [{ name: 'provider-elsewhere' }];
    const { manifest, warnings } = accepted(parseManifest(yamlBytes(app)));
    expect(manifest.components[1]).toMatchObject({ contract: 'wasmcloud:keyvaleu', config: undefined });
    expect(warnings).toEqual([
      'spec.components[0].properties.config: an actor on a 2022 lattice gets no config: kept in the manifest, not used',
      "spec.components[0]: 'counter' has no spreadscaler, daemonscaler or autoscaler: nothing starts it",
      'spec.components[0].properties.secrets: a 2022 lattice has no secrets: kept in the manifest, not used',
      "spec.components[1].properties.config[0]: config 'provider-elsewhere' has no properties: a 2022 lattice keeps no named config, so it adds nothing to the provider's config",
      'spec.components[0].traits[0].properties: unrecognized contract wasmcloud:keyvaleu (known under wasmcloud: wasmcloud:httpserver, wasmcloud:httpclient, wasmcloud:keyvalue, wasmcloud:messaging, wasmcloud:blobstore, wasmcloud:sqldb, wasmcloud:builtin:logging, wasmcloud:builtin:numbergen)',
      "spec.components[0].traits[0].properties.target.config[1]: config 'shared-elsewhere' has no properties: a 2022 lattice keeps no named config, so it adds no link values",
    ]);
  });

  it('warns of WIT-only namespaces and of built-in contracts', () => {
    const app = currentApp();
    Object.assign(app.spec.components[0].traits[1].properties, { namespace: 'wasi', package: 'keyvalue' });
    const wasi = accepted(parseManifest(yamlBytes(app))).warnings;
    expect(wasi).toEqual([
      'spec.components[0].traits[1].properties: wasi:keyvalue is a WIT interface with no 2022 contract: no 2022 provider serves it (2022 contracts are e.g. wasmcloud:httpserver)',
    ]);
    const echo = echoApp();
    echo.spec.components[1].properties.contract = 'wasmcloud:builtin:logging';
    expect(accepted(parseManifest(yamlBytes(echo))).warnings).toEqual([
      'spec.components[1].properties.contract: wasmcloud:builtin:logging is served inside every host: it needs no provider and no link',
    ]);
  });
});

describe('parseManifest: versions', () => {
  it('keeps the version annotation, and assigns a ULID when there is none (or it is empty)', () => {
    const app = echoApp();
    expect(accepted(parseManifest(yamlBytes(app))).manifest.version).toBe('v1');
    delete app.metadata.annotations;
    const first = accepted(parseManifest(yamlBytes(app))).manifest;
    app.metadata.annotations = { version: '' };
    const second = accepted(parseManifest(yamlBytes(app))).manifest;
    expect(first.version).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(second.version > first.version).toBe(true);
    expect(first.annotations.version).toBe(first.version);
    expect((first.document as Doc).metadata.annotations.version).toBe(first.version);
  });

  it('makes ULIDs that sort by time, and in order within one millisecond', () => {
    expect(ulidOf(0, 0n)).toBe('0'.repeat(26));
    expect(ulidOf(2 ** 48 - 1, 2n ** 80n - 1n)).toBe(`7${'Z'.repeat(25)}`);
    // The time part of the ULID specification's example, 01ARYZ6S41TSV4RRFFQ69G5FAV.
    expect(ulidOf(1_469_918_176_385, 1n)).toBe(`01ARYZ6S41${'0'.repeat(15)}1`);
    const now = Date.now() + 10_000;
    const sameMillisecond = [newUlid(now), newUlid(now), newUlid(now)];
    expect([...sameMillisecond].sort()).toEqual(sameMillisecond);
    expect(new Set(sameMillisecond).size).toBe(3);
    expect(newUlid(now + 1) > sameMillisecond[2]!).toBe(true);
  });

  it("refuses 'latest' and a version YAML read as a number", () => {
    const app = echoApp();
    app.metadata.annotations.version = 'latest';
    expect(errorOf(app)).toBe("metadata.annotations.version: 'latest' is not allowed as a version");
    expect(refusal(parseManifest(utf8.encode(dump(echoApp()).replace('version: v1', 'version: 1.0'))))).toBe(
      'metadata.annotations.version: expected a string, got a number: put it in quotes so YAML keeps it as written',
    );
  });
});

describe('parseManifest: bytes that are no manifest', () => {
  it('refuses too many bytes, bad UTF-8 and empty input', () => {
    expect(refusal(parseManifest(new Uint8Array(MAX_MANIFEST_BYTES + 1)))).toBe(
      `manifest is ${MAX_MANIFEST_BYTES + 1} bytes; the limit is ${MAX_MANIFEST_BYTES} bytes (256 KiB)`,
    );
    expect(refusal(parseManifest(new Uint8Array([0x61, 0x3a, 0x20, 0xff, 0xfe])))).toBe(
      'manifest is not UTF-8 text',
    );
    expect(refusal(parseManifest(new Uint8Array()))).toBe('manifest is empty');
    expect(refusal(parseManifest(utf8.encode(' \n\t\n')))).toBe('manifest is empty');
  });

  it('refuses bad YAML and bad JSON, saying where, without quoting the input', () => {
    const badYaml = refusal(parseManifest(utf8.encode('apiVersion: x\nkind: [Application\nmetadata: {}\n')));
    expect(badYaml).toMatch(/^manifest is not valid YAML: .+ \(line \d+, column \d+\)$/);
    expect(refusal(parseManifest(utf8.encode('a: 1\na: 2\n')))).toBe(
      'manifest is not valid YAML: duplicated mapping key (line 2, column 1)',
    );
    expect(refusal(parseManifest(utf8.encode('---\na: 1\n---\nb: 2\n')))).toBe(
      'manifest is not valid YAML: expected a single document in the stream, but found more',
    );
    // Not YAML either (a flow mapping may end in a comma): the JSON error is the one shown.
    expect(
      refusal(parseManifest(utf8.encode('{"apiVersion": "core.oam.dev/v1beta1", "secret": "hunter2"'))),
    ).toMatch(/^manifest is not valid JSON: (?!.*hunter2)/);
  });

  it('reads a byte order mark and YAML flow style that looks like JSON', () => {
    const text = `\uFEFF{apiVersion: core.oam.dev/v1beta1, kind: Application, metadata: {name: flow, annotations: {version: v1}}, spec: {components: [{name: a, type: actor, properties: {image: ./a.wasm}, traits: [{type: spreadscaler, properties: {replicas: 1}}]}]}}`;
    expect(accepted(parseManifest(utf8.encode(text))).manifest).toMatchObject({
      name: 'flow',
      version: 'v1',
    });
  });

  it('refuses documents nested too deeply, in JSON and in YAML', () => {
    const deepJson = `{"a":${'['.repeat(100)}${']'.repeat(100)}}`;
    expect(refusal(parseManifest(utf8.encode(deepJson)))).toBe(
      'manifest nests lists or objects deeper than 64 levels (under a[0][0][0]…)',
    );
    let deepYaml = '';
    for (let level = 0; level < 80; level++) deepYaml += `${' '.repeat(level)}a:\n`;
    expect(refusal(parseManifest(utf8.encode(`${deepYaml}${' '.repeat(80)}1\n`)))).toMatch(
      /^manifest is not valid YAML: nesting exceeded maxDepth \(64\) \(line \d+, column \d+\)$/,
    );
  });

  it('refuses an alias that contains itself and an alias bomb', () => {
    expect(refusal(parseManifest(utf8.encode('&a [ *a ]\n')))).toBe(
      'manifest nests lists or objects deeper than 64 levels (under [0][0][0][0]…)',
    );
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (const [name, previous] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
    ])
      levels.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    expect(refusal(parseManifest(utf8.encode(`${levels.join('\n')}\n`)))).toBe(
      'manifest holds more than 100000 values once its YAML aliases are expanded',
    );
  });

  it('refuses numbers JSON cannot keep, and a document that is not an object', () => {
    const app = echoApp();
    app.spec.components[0].traits[0].properties.replicas = '.inf';
    const text = dump(app).replace("replicas: '.inf'", 'replicas: .inf');
    expect(refusal(parseManifest(utf8.encode(text)))).toBe(
      'spec.components[0].traits[0].properties.replicas: expected a finite number (JSON cannot hold .inf, .nan or 1e400)',
    );
    expect(refusal(parseManifest(utf8.encode('- a\n- b\n')))).toBe(
      'the manifest must be an object (an OAM core.oam.dev/v1beta1 Application with apiVersion, kind, metadata and spec), got a list',
    );
    expect(refusal(parseManifest(utf8.encode('just text')))).toMatch(/, got a string$/);
  });
});

describe('parseManifest: the shape of the document', () => {
  it('refuses a wrong apiVersion or kind, and a missing name', () => {
    const app = echoApp();
    app.apiVersion = 'core.oam.dev/v1alpha2';
    app.kind = 'Component';
    delete app.metadata.name;
    expect(errorOf(app)).toBe(
      'apiVersion: expected core.oam.dev/v1beta1; kind: expected Application; metadata.name: missing (expected a string)',
    );
  });

  it('refuses names with characters other than letters, digits, - and _', () => {
    const app = echoApp();
    app.metadata.name = 'my.app';
    app.spec.components[0].name = 'echo actor';
    expect(errorOf(app)).toBe(
      "metadata.name: may hold only letters (A-Z, a-z), digits, '-' and '_'; spec.components[0].name: may hold only letters (A-Z, a-z), digits, '-' and '_'",
    );
    app.metadata.name = 'a'.repeat(129);
    app.spec.components[0].name = 'echo';
    expect(errorOf(app)).toBe('metadata.name: must be at most 128 characters');
  });

  it('refuses unknown keys where the schema is closed, naming the keys allowed there', () => {
    const app = echoApp();
    app.spec.replicas = 3;
    app.spec.components[0].properties.contract = 'wasmcloud:httpserver';
    app.spec.components[0].traits[0].properties.minReplicas = 1;
    app.spec.components[0].traits[1].properties.link_name = 'x';
    app.extra = true;
    expect(errorOf(app)).toBe(
      [
        'spec.components[0].properties.contract: unknown key (allowed here: image, id, config, secrets)',
        'spec.components[0].traits[0].properties.minReplicas: unknown key (allowed here: instances, replicas, spread)',
        'spec.components[0].traits[1].properties.link_name: unknown key (allowed here: target, values)',
        'spec.replicas: unknown key (allowed here: components, policies)',
        'extra: unknown key (allowed here: apiVersion, kind, metadata, spec)',
      ].join('; '),
    );
  });

  it('refuses unknown trait and component types, naming the known ones', () => {
    const app = echoApp();
    app.spec.components[0].traits.push({ type: 'horizontalscaler', properties: {} });
    app.spec.components[0].traits.push({ properties: {} });
    app.spec.components[1].type = 'provider';
    expect(errorOf(app)).toBe(
      [
        "spec.components[0].traits[2].type: unknown trait type 'horizontalscaler' (known: spreadscaler, daemonscaler, autoscaler, linkdef, link)",
        'spec.components[0].traits[3].type: missing trait type (known: spreadscaler, daemonscaler, autoscaler, linkdef, link)',
        "spec.components[1].type: unknown component type 'provider' (known: actor, component, capability)",
      ].join('; '),
    );
  });

  it('refuses negative, fractional, textual and too large instance counts', () => {
    const app = echoApp();
    const scaler = (replicas: unknown) => ({ type: 'spreadscaler', properties: { replicas } });
    app.spec.components[0].traits = [scaler(-1), scaler(1.5), scaler('4'), scaler(10_001)];
    app.spec.components[1].traits = [{ type: 'daemonscaler', properties: { instances: -2 } }];
    expect(errorOf(app)).toBe(
      [
        'spec.components[0].traits[0].properties.replicas: expected a non-negative integer',
        'spec.components[0].traits[1].properties.replicas: expected a non-negative integer',
        'spec.components[0].traits[2].properties.replicas: expected a non-negative integer',
        'spec.components[0].traits[3].properties.replicas: expected at most 10000 instances',
        'spec.components[1].traits[0].properties.instances: expected a non-negative integer',
      ].join('; '),
    );
  });

  it('refuses a scaler with both instances and replicas, or neither', () => {
    const app = echoApp();
    app.spec.components[0].traits[0].properties = { instances: 1, replicas: 1 };
    app.spec.components[1].traits = [{ type: 'daemonscaler', properties: { spread: [] } }];
    expect(errorOf(app)).toBe(
      [
        'spec.components[0].traits[0].properties.replicas: instances is given too: replicas is its 2022 name, give one of them',
        'spec.components[1].traits[0].properties.instances: missing (expected a non-negative integer; the 2022 name replicas is read too)',
      ].join('; '),
    );
  });

  it('refuses bad spreads: negative weights, a name used twice, weights that place nothing', () => {
    const app = echoApp();
    app.spec.components[0].traits[0].properties.spread = [{ name: 'a', requirements: {}, weight: -5 }];
    app.spec.components[1].traits = [
      {
        type: 'spreadscaler',
        properties: {
          replicas: 2,
          spread: [
            { name: 'b', weight: 0 },
            { name: 'b', weight: 0 },
          ],
        },
      },
    ];
    expect(errorOf(app)).toBe(
      [
        'spec.components[0].traits[0].properties.spread[0].weight: expected a non-negative integer',
        "spec.components[1].traits[0].properties.spread[1].name: spread name 'b' is used twice in this scaler",
        'spec.components[1].traits[0].properties.spread: every weight is 0, so no instance could be placed',
      ].join('; '),
    );
  });

  it('refuses link values and requirements that are not text', () => {
    const app = echoApp();
    app.spec.components[0].traits[1].properties.values.TLS = { cert: 'x' };
    app.spec.components[0].traits[0].properties.spread = [{ name: 'a', requirements: { zone: null } }];
    expect(errorOf(app)).toBe(
      [
        'spec.components[0].traits[0].properties.spread[0].requirements.zone: expected text (a string, a number or true/false)',
        'spec.components[0].traits[1].properties.values.TLS: expected text (a string, a number or true/false)',
      ].join('; '),
    );
  });

  it('refuses malformed current-form links and config entries', () => {
    const app = currentApp();
    const link = app.spec.components[0].traits[1].properties;
    link.interfaces = [];
    link.source = { config: [{ name: 'a', properties: { A: '1' } }] };
    link.source_config = [{ name: 'b' }];
    link.target_config = [{ name: 'c' }];
    link.target.config[0].propertiez = {};
    app.spec.components[1].properties.config = [{ name: 'x', properties: { y: [] } }];
    expect(errorOf(app)).toBe(
      [
        'spec.components[0].traits[1].properties.interfaces: expected at least one interface',
        'spec.components[0].traits[1].properties.target.config[0].propertiez: unknown key (allowed here: name, properties)',
        'spec.components[0].traits[1].properties.source_config: source is given too: source_config is its older spelling, give source.config only',
        'spec.components[0].traits[1].properties.target_config: target is an object: give its config as target.config',
        'spec.components[1].properties.config[0].properties.y: expected text (a string, a number or true/false)',
      ].join('; '),
    );
  });

  it('refuses an application without components and malformed types of whole sections', () => {
    const app = echoApp();
    app.spec.components = [];
    expect(errorOf(app)).toBe('spec.components: expected at least one component');
    app.spec.components = echoApp().spec.components;
    app.spec.components[0].traits = { type: 'spreadscaler' };
    app.metadata.annotations = ['v1'];
    expect(errorOf(app)).toBe(
      'metadata.annotations: expected an object, got a list; spec.components[0].traits: expected a list, got an object',
    );
  });
});

describe('parseManifest: cross-references (wadm.md §2c)', () => {
  it('refuses duplicate component names and duplicate ids', () => {
    const app = currentApp();
    app.spec.components[0].properties.id = 'same';
    app.spec.components[1].properties.id = 'same';
    app.spec.components.push({
      name: 'kv',
      type: 'capability',
      properties: { image: 'ghcr.io/example/kv:2', contract: 'wasmcloud:keyvalue' },
    });
    expect(errorOf(app)).toBe(
      'spec.components[1].properties.id: Duplicate component identifier in manifest: same; spec.components[2].name: Duplicate component name in manifest: kv',
    );
  });

  it('refuses a link to a component the manifest does not have', () => {
    const app = echoApp();
    app.spec.components[0].traits[1].properties.target = 'kvredis';
    const current = currentApp();
    current.spec.components[0].traits[1].properties.target.name = 'redis';
    current.spec.components[1].properties.contract = 'wasmcloud:keyvalue';
    expect(errorOf(app)).toBe(
      'spec.components[0].traits[1].properties.target: The following capability component(s) are missing from the manifest: kvredis',
    );
    expect(errorOf(current)).toBe(
      'spec.components[0].traits[1].properties.target.name: The following capability component(s) are missing from the manifest: redis',
    );
  });

  it('refuses a link whose target is not a capability, naming it', () => {
    const app = echoApp();
    app.spec.components.push({ name: 'other', type: 'actor', properties: { image: './other.wasm' } });
    app.spec.components[0].traits[1].properties.target = 'other';
    expect(errorOf(app)).toBe(
      "spec.components[0].traits[1].properties.target: 'other' is an actor, not a capability: a 2022 link goes from an actor to a capability provider",
    );
  });

  it('refuses a link declared on a capability (the current form lets providers link to components)', () => {
    const app = currentApp();
    const link = app.spec.components[0].traits.pop();
    link.properties.target.name = 'counter';
    app.spec.components[1].traits = [link];
    app.spec.components[1].properties.contract = 'wasmcloud:keyvalue';
    expect(errorOf(app)).toBe(
      "spec.components[1].traits[0]: a link goes from an actor to a capability, and 'kv' is a capability: declare it on 'counter' with target 'kv'",
    );
  });

  it('refuses a capability whose contract nothing names', () => {
    const app = echoApp();
    delete app.spec.components[1].properties.contract;
    expect(errorOf(app)).toBe(
      "spec.components[1].properties: capability 'httpserver' names no contract: give properties.contract (e.g. wasmcloud:httpserver); a linkdef does not name one",
    );
    app.spec.components[0].traits.pop();
    expect(errorOf(app)).toBe(
      "spec.components[1].properties: capability 'httpserver' names no contract: give properties.contract (e.g. wasmcloud:httpserver), or a link trait to it on an actor",
    );
  });

  it('refuses links that disagree with their capability on the contract or the link name', () => {
    const app = currentApp();
    app.spec.components[1].properties.contract = 'wasmcloud:messaging';
    app.spec.components[1].properties.link_name = 'primary';
    app.spec.components[0].traits[1].properties.name = 'secondary';
    expect(errorOf(app)).toBe(
      [
        "spec.components[0].traits[1].properties.package: this link names wasmcloud:keyvalue, but its target 'kv' serves wasmcloud:messaging (its properties.contract)",
        "spec.components[0].traits[1].properties.name: link name 'secondary' is not the link_name 'primary' of capability 'kv'",
      ].join('; '),
    );
  });

  it('refuses two links to one capability with different contracts or link names', () => {
    const app = currentApp();
    app.spec.components[0].traits[1].properties.name = 'rw';
    app.spec.components.push({
      name: 'reader',
      type: 'component',
      properties: { image: './reader.wasm' },
      traits: [
        { type: 'spreadscaler', properties: { instances: 1 } },
        {
          type: 'link',
          properties: {
            namespace: 'wasmcloud',
            package: 'blobstore',
            interfaces: ['x'],
            name: 'ro',
            target: 'kv',
          },
        },
      ],
    });
    expect(errorOf(app)).toBe(
      [
        "spec.components[2].traits[1].properties.package: this link names wasmcloud:blobstore, but its target 'kv' serves wasmcloud:keyvalue (the link at spec.components[0].traits[1])",
        "spec.components[2].traits[1].properties.name: capability 'kv' is already linked by the name 'rw' (spec.components[0].traits[1]); a provider serves one link name, so 'ro' needs its own capability component with link_name 'ro'",
      ].join('; '),
    );
  });

  it('refuses the same link twice in one component, in either form', () => {
    const app = echoApp();
    app.spec.components[0].traits.push({ type: 'linkdef', properties: { target: 'httpserver', values: {} } });
    expect(errorOf(app)).toBe(
      "spec.components[0].traits[2]: Duplicate link found inside component 'echo': default (wasmcloud:httpserver); the first is spec.components[0].traits[1]",
    );
    const current = currentApp();
    const again = structuredClone(current.spec.components[0].traits[1]);
    again.properties.interfaces = ['atomics'];
    again.properties.target.config = [];
    current.spec.components[0].traits.push(again);
    expect(errorOf(current)).toBe(
      "spec.components[0].traits[2]: Duplicate link found inside component 'counter': default (wasmcloud:keyvalue); the first is spec.components[0].traits[1]",
    );
  });

  it('refuses two capabilities with the same image and link name', () => {
    const app = echoApp();
    app.spec.components.push({
      name: 'httpserver2',
      type: 'capability',
      properties: { image: 'wasmcloud.azurecr.io/httpserver:0.14.7', contract: 'wasmcloud:httpserver' },
    });
    expect(errorOf(app)).toBe(
      "spec.components[2].properties.image: capability 'httpserver2' has the same image and link name ('default') as 'httpserver': a host runs one provider per image and link name",
    );
    app.spec.components[2].properties.link_name = 'admin';
    expect(accepted(parseManifest(yamlBytes(app))).manifest.components[2]).toMatchObject({
      linkName: 'admin',
    });
  });

  it('refuses duplicated link config names and duplicated policy names', () => {
    const app = currentApp();
    const link = app.spec.components[0].traits[1].properties;
    link.source = { config: [{ name: 'kv-url', properties: { A: '1' } }] };
    app.spec.policies = [
      { name: 'p', type: 'a', properties: {} },
      { name: 'p', type: 'b', properties: {} },
    ];
    expect(errorOf(app)).toBe(
      "spec.components[0].traits[1].properties.target.config[0].name: Duplicate link config name found: 'kv-url'; spec.policies[1].name: Duplicate policy name in manifest: p",
    );
  });

  it('collects every problem into one message, counting those past twenty', () => {
    const app = echoApp();
    for (let index = 0; index < 25; index++)
      app.spec.components[0].traits.push({ type: 'linkdef', properties: { target: `missing${index}` } });
    const error = errorOf(app);
    expect(error.split('; ')).toHaveLength(21);
    expect(error).toMatch(
      /^spec\.components\[0\]\.traits\[2\]\.properties\.target: The following capability/,
    );
    expect(error).toMatch(/; and 5 more$/);
  });
});

describe('parseManifest: the autoscaler trait', () => {
  const autoscaled = (properties: Record<string, unknown>, form: 'current' | '2022' = '2022'): Doc => {
    const app = form === '2022' ? echoApp() : currentApp();
    app.spec.components[0].traits[0] = { type: 'autoscaler', properties };
    return app;
  };

  it('reads it in both forms, with its defaults: 60 s delay, one spread over every host', () => {
    for (const form of ['2022', 'current'] as const) {
      const { manifest, warnings } = accepted(
        parseManifest(yamlBytes(autoscaled({ min: 0, max: 4, targetConcurrency: 4 }, form))),
      );
      expect(manifest.components[0]).toMatchObject({
        kind: 'actor',
        scalers: [
          {
            type: 'autoscaler',
            min: 0,
            max: 4,
            targetConcurrency: 4,
            scaleDownDelayMs: 60_000,
            spread: [{ name: 'default', requirements: {}, weight: 100 }],
          },
        ],
      });
      expect(warnings.filter((warning) => warning.includes('nothing starts it'))).toEqual([]);
    }
  });

  it('is read back from the controller store as it was stored (the JSON record)', () => {
    const { manifest } = accepted(
      parseManifest(yamlBytes(autoscaled({ min: 0, max: 3, targetConcurrency: 1, scaleDownDelay: '2s' }))),
    );
    const stored = storedManifestSchema.safeParse(JSON.parse(JSON.stringify(manifest)));
    expect(stored.error?.issues).toBeUndefined();
    expect(stored.data?.components[0]?.scalers).toEqual(manifest.components[0]?.scalers);
  });

  it('reads scaleDownDelay as seconds or as text with a unit, and spreads as a spreadscaler does', () => {
    const delays: [unknown, number][] = [
      [2, 2000],
      [0.5, 500],
      ['30s', 30_000],
      ['2m', 120_000],
      ['750ms', 750],
      ['1h', 3_600_000],
    ];
    for (const [scaleDownDelay, ms] of delays) {
      const spread = [{ name: 'east', requirements: { zone: 'east' }, weight: 2 }];
      const app = autoscaled({ min: 1, max: 3, targetConcurrency: 0.5, scaleDownDelay, spread });
      expect(accepted(parseManifest(jsonBytes(app))).manifest.components[0]).toMatchObject({
        scalers: [{ type: 'autoscaler', scaleDownDelayMs: ms, targetConcurrency: 0.5, spread }],
      });
    }
  });

  it('refuses bad bounds, concurrency, delays and unknown keys, naming each path', () => {
    const app = echoApp();
    const trait = (properties: Record<string, unknown>) => ({ type: 'autoscaler', properties });
    app.spec.components[0].traits = [
      trait({ min: 3, max: 2, targetConcurrency: 4 }),
      trait({ min: -1, max: 0, targetConcurrency: 0, scaleDownDelay: '10 minutes' }),
    ];
    app.spec.components[1].traits = [
      trait({ min: 1.5, max: 10_001, targetConcurrency: '4', scaleDownDelay: -1, minReplicas: 1 }),
    ];
    expect(errorOf(app)).toBe(
      [
        'spec.components[0].traits[0].properties.max: expected at least min (3)',
        'spec.components[0].traits[1].properties.min: expected a non-negative integer',
        'spec.components[0].traits[1].properties.targetConcurrency: expected a number of in-flight calls per instance, greater than 0',
        'spec.components[0].traits[1].properties.scaleDownDelay: expected a duration: seconds as a number, or text such as 30s, 2m, 500ms',
        'spec.components[1].traits[0].properties.min: expected a non-negative integer',
        'spec.components[1].traits[0].properties.max: expected at most 10000 instances',
        'spec.components[1].traits[0].properties.targetConcurrency: expected a number of in-flight calls per instance, greater than 0',
        'spec.components[1].traits[0].properties.scaleDownDelay: expected a duration: seconds as a number, or text such as 30s, 2m, 500ms',
        'spec.components[1].traits[0].properties.minReplicas: unknown key (allowed here: min, max, targetConcurrency, scaleDownDelay, spread)',
      ].join('; '),
    );
  });

  it('refuses max 0, a day-long delay and missing fields', () => {
    const app = echoApp();
    app.spec.components[0].traits[0] = {
      type: 'autoscaler',
      properties: { min: 0, max: 0, targetConcurrency: 1, scaleDownDelay: '25h' },
    };
    expect(errorOf(app)).toBe(
      [
        'spec.components[0].traits[0].properties.scaleDownDelay: expected a duration of at most 24 h',
        'spec.components[0].traits[0].properties.max: expected at least 1 instance',
      ].join('; '),
    );
    app.spec.components[0].traits[0] = { type: 'autoscaler', properties: { max: 2 } };
    expect(errorOf(app)).toMatch(
      /^spec\.components\[0\]\.traits\[0\]\.properties\.min: .*; spec\.components\[0\]\.traits\[0\]\.properties\.targetConcurrency: /,
    );
  });

  it('refuses an autoscaler beside another scaler, a second one, and one on a capability', () => {
    const app = echoApp();
    const autoscaler = { type: 'autoscaler', properties: { min: 1, max: 2, targetConcurrency: 1 } };
    app.spec.components[0].traits.push(autoscaler, autoscaler);
    app.spec.components[1].traits = [autoscaler];
    expect(errorOf(app)).toBe(
      [
        "spec.components[0].traits[0].type: 'echo' has an autoscaler (traits[2]): an actor has either an autoscaler or spreadscalers/daemonscalers, not both",
        "spec.components[0].traits[3].type: 'echo' has an autoscaler already (traits[2]): give it one",
        "spec.components[1].traits[0].type: an autoscaler scales actors; 'httpserver' is a capability: give it a spreadscaler or daemonscaler",
      ].join('; '),
    );
  });
});
