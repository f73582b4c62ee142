// The chart's values as a whole: values.schema.json covers values.yaml exactly and refuses what Helm
// would refuse; every value in values.yaml changes what the chart renders (none is dead); and
// docs/deploy.md documents every value.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { KeyPair } from '../../lattice/keys.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import { buildHelmRenderer, HelmRenderError, type HelmRenderer } from '../helpers/helm-render/render.ts';

const CHART = join(REPO_ROOT, 'charts', 'wasmcloud-host');
const VALUES = load(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const SCHEMA = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as SchemaNode;
/** Values the schema allows but values.yaml leaves out on purpose. */
const SCHEMA_ONLY = new Set(['global', 'wasmcloud.config.hostKey', 'wasmcloud.config.providerRpcTimeout']);

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  $ref?: string;
}

function resolveRef(node: SchemaNode): SchemaNode {
  if (!node.$ref) return node;
  const name = node.$ref.replace('#/definitions/', '');
  return (SCHEMA as { definitions: Record<string, SchemaNode> }).definitions[name]!;
}

/**
 * The documented values: a path per value the schema describes field by field; an open map
 * (hostLabels, resources, …) is one value.
 */
function valuePaths(values: Record<string, unknown>, schema: SchemaNode, prefix = ''): [string, unknown][] {
  const paths: [string, unknown][] = [];
  for (const [key, value] of Object.entries(values)) {
    const node = resolveRef(schema.properties?.[key] ?? {});
    const path = `${prefix}${key}`;
    if (node.properties && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      paths.push(...valuePaths(value as Record<string, unknown>, node, `${path}.`));
    } else {
      paths.push([path, value]);
    }
  }
  return paths;
}

function schemaPaths(schema: SchemaNode, prefix = ''): string[] {
  return Object.entries(schema.properties ?? {}).flatMap(([key, child]) => {
    const node = resolveRef(child);
    const path = `${prefix}${key}`;
    return node.properties ? schemaPaths(node, `${path}.`) : [path];
  });
}

/** A values file setting one path. */
function setting(path: string, value: unknown): string {
  const root: Record<string, unknown> = {};
  let node = root;
  const keys = path.split('.');
  for (const key of keys.slice(0, -1)) node = node[key] = {} as Record<string, unknown>;
  node[keys.at(-1)!] = value;
  return JSON.stringify(root);
}

/** A different value the schema accepts, so a change in output comes from the chart itself. */
const SAMPLES: Record<string, unknown> = {
  'wasmcloud.config.rpcSeed': KeyPair.create('user').seed,
  'wasmcloud.config.providerRpcSeed': KeyPair.create('user').seed,
  'wasmcloud.config.ctlSeed': KeyPair.create('user').seed,
  'wasmcloud.config.clusterSeed': KeyPair.create('cluster').seed,
  'wasmcloud.config.hostSeed': KeyPair.create('server').seed,
  'wasmcloud.config.clusterIssuers': [KeyPair.create('cluster').publicKey],
  'wasmcloud.config.logging.logLevel': 'debug',
  'wasmcloud.image.pullPolicy': 'Always',
  'nats.image.pullPolicy': 'Always',
  'service.type': 'NodePort',
  imagePullSecrets: [{ name: 'registry-login' }],
  tolerations: [{ key: 'dedicated', operator: 'Exists' }],
  'nats.url': 'nats://nats.example:4222',
  'wasmcloud.config.otel.exporter': 'none',
  'wasmcloud.config.otel.endpoint': 'http://collector.example:4318',
  'wasmcloud.config.otel.tracesEndpoint': 'http://collector.example:4318/v1/traces',
  'wasmcloud.config.otel.metricsEndpoint': 'http://collector.example:4318/v1/metrics',
  'wasmcloud.config.otel.tracesEnabled': true,
  'wasmcloud.config.otel.sampler': 'always_on',
  'wasmcloud.config.otel.samplerRatio': 0.5,
  'wasmcloud.config.otel.metricExportInterval': 5000,
};

function changed(path: string, value: unknown): unknown {
  if (path in SAMPLES) return SAMPLES[path];
  if (/(?:Port)$/.test(path)) return typeof value === 'number' ? value + 1 : 4333;
  if (/(?:rpcTimeout|providerShutdownDelay|actorWorkers)$/.test(path)) return 5;
  if (typeof value === 'boolean') return !value;
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'string') return value === '' ? 'example' : `${value}-changed`;
  if (Array.isArray(value)) return [...value, 'example'];
  return { ...(value as object), example_key: 'example' };
}

/** Where a value may matter only with some feature on. */
const CONTEXTS: string[][] = [
  [],
  [
    setting('nats.leafnode', { enabled: true, credentials: 'creds' }),
    setting('wasmcloud.enableApplierSupport', true),
    setting('wasmcloud.config.registry.url', 'registry.example'),
    setting('wasmcloud.config.otel.headersSecret.name', 'otlp-auth'),
  ],
  [setting('nats', { enabled: false, url: 'nats://nats:4222' })],
];

let renderer: HelmRenderer;

beforeAll(async () => {
  renderer = await buildHelmRenderer();
}, 120_000);

afterAll(() => renderer?.remove());

async function output(values: string[]): Promise<string> {
  try {
    const options = { name: 'demo', values };
    return (await renderer.template(CHART, options)) + (await renderer.notes(CHART, options));
  } catch (error) {
    if (error instanceof HelmRenderError) return `refused: ${error.message}`;
    throw error;
  }
}

describe('values.schema.json', () => {
  test('describes exactly the values of values.yaml (plus the refused 2022 ones and global)', () => {
    const inValues = valuePaths(VALUES, SCHEMA).map(([path]) => path);
    const inSchema = schemaPaths(SCHEMA).filter((path) => !SCHEMA_ONLY.has(path));
    expect(inValues.sort()).toEqual(inSchema.sort());
  });

  test('refuses a misspelt value, a bad log level and a seed of the wrong kind, as helm would', async () => {
    const refusal = (values: string) =>
      renderer.template(CHART, { values: [values] }).then(
        () => 'rendered',
        (error: Error) => error.message,
      );
    expect(await refusal('wasmcloud: {enableApplierSuport: true}')).toMatch(
      /^Error: values don't meet the specifications of the schema\(s\) in the following chart\(s\): wasmcloud-host: - wasmcloud: additional property enableApplierSuport is not allowed/,
    );
    expect(await refusal('wasmcloud: {config: {logging: {logLevel: verbose}}}')).toMatch(
      /- wasmcloud\.config\.logging\.logLevel: must be equal to one of the allowed values: "", "trace", "debug", "info", "warn", "error"/,
    );
    expect(await refusal(`wasmcloud: {config: {hostSeed: ${KeyPair.create('cluster').seed}}}`)).toMatch(
      /- wasmcloud\.config\.hostSeed: must match pattern/,
    );
    expect(await refusal(`wasmcloud: {config: {hostSeed: ${KeyPair.create('server').seed}}}`)).toBe(
      'rendered',
    );
  });
});

describe('values.yaml', () => {
  test('every value changes what the chart renders (or makes it refuse), in some configuration', async () => {
    const baselines = await Promise.all(CONTEXTS.map((context) => output(context)));
    for (const baseline of baselines) expect(baseline).not.toMatch(/^refused/);
    const dead: string[] = [];
    for (const [path, value] of valuePaths(VALUES, SCHEMA)) {
      const mutation = setting(path, changed(path, value));
      let matters = false;
      for (const [index, context] of CONTEXTS.entries()) {
        if ((await output([...context, mutation])) !== baselines[index]) {
          matters = true;
          break;
        }
      }
      if (!matters) dead.push(path);
    }
    expect(dead).toEqual([]);
  }, 120_000);
});

describe('docs/deploy.md', () => {
  test('has a row for every value', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8');
    const missing = valuePaths(VALUES, SCHEMA)
      .map(([path]) => path)
      .filter((path) => !new RegExp(`^\\| \`${path.replaceAll('.', '\\.')}\`\\s+\\|`, 'm').test(doc));
    expect(missing).toEqual([]);
  });
});
