// Fuzzing the JSON messages from outside: every control-interface request and reply schema in
// lattice/control.ts through parseJsonMessage (lattice/json-message.ts), and lattice events
// through parseCloudEvent (lattice/events.ts). These decoders answer {ok, value} or {ok: false,
// error}; the property is that they never throw, never stall, and say something when they refuse.
// The schemas are found by walking control.ts's exports, so new ones are fuzzed too.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as control from '../../lattice/control.ts';
import { EVENT_NAMES, parseCloudEvent } from '../../lattice/events.ts';
import { MAX_JSON_DEPTH } from '../../lattice/json-depth.ts';
import { decodeJsonBytes, parseJsonMessage } from '../../lattice/json-message.ts';
import { ACTOR, CLUSTER, HOST, PROVIDER } from '../helpers/keys.ts';
import { fuzzParameters, fuzzTimeout, resultOf } from './fuzz-settings.ts';
import { type Json, jsonBytes } from './mutations.ts';

const link = {
  actor_id: ACTOR,
  provider_id: PROVIDER,
  link_name: 'default',
  contract_id: 'wasmcloud:httpserver',
  values: { address: '0.0.0.0:8080' },
};
const annotations = { 'wasmcloud.dev/appspec': 'echo' };
const ACTOR_REF = '127.0.0.1:5000/echo:0.1.0';

/** A valid message for each schema, by its description; schemas without one start from `{}`. */
const EXAMPLES: Record<string, Json> = {
  ack: { accepted: true, error: '' },
  'ping reply': {
    id: HOST,
    uptime_seconds: 10,
    labels: { 'hostcore.os': 'linux' },
    friendly_name: 'bold-wind',
    version: '0.1.0',
    cluster_issuers: CLUSTER,
    js_domain: null,
    issuer: CLUSTER,
  },
  'host inventory': {
    host_id: HOST,
    labels: { 'hostcore.os': 'linux' },
    actors: [
      {
        id: ACTOR,
        image_ref: ACTOR_REF,
        name: 'echo',
        instances: [{ instance_id: 'i1', revision: 0, annotations }],
      },
    ],
    providers: [
      {
        id: PROVIDER,
        link_name: 'default',
        revision: 0,
        contract_id: 'wasmcloud:httpserver',
        annotations: {},
      },
    ],
    friendly_name: 'bold-wind',
  },
  'claims list': { claims: [{ sub: ACTOR, caps: 'wasmcloud:httpserver', iss: CLUSTER }] },
  'links list': { links: [link] },
  'link-put request': link,
  'link-del request': {
    actor_id: ACTOR,
    contract_id: 'wasmcloud:httpserver',
    link_name: 'default',
    provider_id: PROVIDER,
  },
  'launch-actor request': { actor_ref: ACTOR_REF, count: 1, annotations, host_id: HOST },
  'stop-actor request': { actor_ref: ACTOR, count: 0, annotations, host_id: HOST },
  'scale-actor request': { actor_id: ACTOR, actor_ref: ACTOR_REF, count: 2, annotations, host_id: HOST },
  'update-actor request': { actor_id: ACTOR, new_actor_ref: ACTOR_REF, annotations, host_id: HOST },
  'launch-provider request': {
    provider_ref: '127.0.0.1:5000/httpserver:0.1.0',
    link_name: 'default',
    configuration: '',
    annotations,
    host_id: HOST,
  },
  'stop-provider request': {
    provider_ref: PROVIDER,
    link_name: 'default',
    contract_id: 'wasmcloud:httpserver',
    annotations,
    host_id: HOST,
  },
  'stop-host request': { host_id: HOST, timeout: 1000 },
  'registries-put request': { '127.0.0.1:5000': { username: 'u', password: 'p', registryType: 'oci' } },
  'actor auction request': { actor_ref: ACTOR_REF, constraints: { 'hostcore.os': 'linux' } },
  'actor auction reply': { actor_ref: ACTOR_REF, constraints: {}, host_id: HOST },
  'provider auction request': { provider_ref: PROVIDER, link_name: 'default', constraints: {} },
  'provider auction reply': { provider_ref: PROVIDER, link_name: 'default', constraints: {}, host_id: HOST },
};

const schemas = Object.entries(control as Record<string, unknown>)
  .filter((entry): entry is [string, z.ZodType] => entry[1] instanceof z.ZodType)
  .map(([name, schema]) => ({ name, schema, example: EXAMPLES[schema.description ?? ''] ?? {} }));

/** Checks a ParseResult: a value, or a one-line error that names the message. */
function checkResult(result: { ok: true; value: unknown } | { ok: false; error: string }): void {
  if (result.ok) return;
  expect(typeof result.error).toBe('string');
  expect(result.error.length).toBeGreaterThan(0);
}

describe('control interface JSON (fuzz)', () => {
  it('finds the schemas to fuzz, and a valid example for each described one', () => {
    expect(schemas.length).toBeGreaterThanOrEqual(19);
    for (const { schema, example } of schemas) {
      if (schema.description === undefined || !(schema.description in EXAMPLES)) continue;
      expect(schema.safeParse(example).success, schema.description).toBe(true);
    }
  });

  it('refuses JSON nested deeper than MAX_JSON_DEPTH before parsing it, and reads it up to that depth', () => {
    const nested = (depth: number) => new TextEncoder().encode(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    const started = performance.now();
    const deep = parseJsonMessage(control.stopHostRequestSchema, nested(500_000));
    expect(performance.now() - started).toBeLessThan(500);
    expect(deep).toEqual({
      ok: false,
      error: `request body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`,
    });
    // Brackets inside strings do not count.
    const text = new TextEncoder().encode(JSON.stringify({ note: '['.repeat(10_000) }));
    expect(decodeJsonBytes(text).ok).toBe(true);
    expect(decodeJsonBytes(nested(MAX_JSON_DEPTH)).ok).toBe(true);
    expect(decodeJsonBytes(nested(MAX_JSON_DEPTH + 1)).ok).toBe(false);
  });

  const message = fc
    .constantFrom(...schemas)
    .chain((entry) => jsonBytes(fc.constant(entry.example)).map((bytes) => ({ entry, bytes })));

  it(
    'parses every control message to a value or a readable refusal, never throwing',
    () => {
      fc.assert(
        fc.property(message, ({ entry, bytes }) => {
          checkResult(resultOf(() => parseJsonMessage(entry.schema, bytes)));
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );
});

describe('lattice events (fuzz)', () => {
  const data: Record<string, Json> = {
    host_heartbeat: {
      actors: [{ public_key: ACTOR, instance_id: 'a1' }],
      providers: [
        {
          public_key: PROVIDER,
          link_name: 'default',
          contract_id: 'wasmcloud:httpserver',
          instance_id: 'p1',
        },
      ],
      labels: {},
      friendly_name: 'bold-wind',
      version: '0.57.0',
      uptime_seconds: 60,
    },
    actor_started: {
      public_key: ACTOR,
      image_ref: ACTOR_REF,
      instance_id: 'a1',
      annotations: {},
      claims: { caps: [] },
    },
    actor_stopped: { public_key: ACTOR, instance_id: 'a1' },
    linkdef_set: { ...link, id: 'ABC' },
  };
  const event = fc.constantFrom(...EVENT_NAMES, 'future_event').map(
    (name): Json => ({
      specversion: '1.0',
      time: '2022-08-30T12:00:00.123456Z',
      type: `com.wasmcloud.lattice.${name}`,
      source: HOST,
      datacontenttype: 'application/json',
      id: '1c9a2b4e-7f0d-4e8a-9b1c-2d3e4f5a6b7c',
      data: data[name] ?? {},
    }),
  );

  it(
    'parses every event to a value or a readable refusal, never throwing',
    () => {
      fc.assert(
        fc.property(jsonBytes(event), (bytes) => {
          const result = resultOf(() => parseCloudEvent(bytes));
          checkResult(result);
          if (result.ok) expect(result.value.type.startsWith('com.wasmcloud.lattice.')).toBe(true);
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );
});
