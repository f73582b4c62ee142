import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  ack,
  actorAuctionReplySchema,
  actorAuctionRequestSchema,
  claimsListSchema,
  ctlAckSchema,
  hostInventorySchema,
  hostPingReplySchema,
  launchActorRequestSchema,
  launchProviderRequestSchema,
  linkDelRequestSchema,
  linkPutRequestSchema,
  linksListSchema,
  nack,
  providerAuctionReplySchema,
  providerAuctionRequestSchema,
  registriesPutRequestSchema,
  scaleActorRequestSchema,
  stopActorRequestSchema,
  stopHostRequestSchema,
  stopProviderRequestSchema,
  updateActorRequestSchema,
} from '../../lattice/control.ts';
import {
  ACTOR_KEY_PATTERN,
  decodeJsonBytes,
  encodeJsonMessage,
  HOST_KEY_PATTERN,
  type ParseResult,
  PROVIDER_KEY_PATTERN,
  parseJsonMessage,
} from '../../lattice/json-message.ts';
import { ACTOR, CLUSTER, HOST, OTHER_HOST, PROVIDER } from '../helpers/keys.ts';

/** A protocol.md sample with its `N…`/`M…`/`V…`/`C…` placeholders filled by real keys and `{…}` by `{}`. */
function sample(text: string): string {
  return text
    .replaceAll('"N…"', JSON.stringify(HOST))
    .replaceAll('"M…"', JSON.stringify(ACTOR))
    .replaceAll('"V…"', JSON.stringify(PROVIDER))
    .replaceAll('C…,C…', `${CLUSTER},${CLUSTER}`)
    .replaceAll('{…}', '{}');
}

const bytes = (text: string) => new TextEncoder().encode(text);

function parse<S extends z.ZodType>(schema: S, input: string | object): ParseResult<z.output<S>> {
  return parseJsonMessage(schema, bytes(typeof input === 'string' ? input : JSON.stringify(input)));
}

function parsedValue<S extends z.ZodType>(schema: S, input: string | object): z.output<S> {
  const result = parse(schema, input);
  if (!result.ok) throw new Error(`expected success, got: ${result.error}`);
  return result.value;
}

function parseError(schema: z.ZodType, input: string | object): string {
  const result = parse(schema, input);
  if (result.ok) throw new Error(`expected failure, got: ${JSON.stringify(result.value)}`);
  return result.error;
}

describe('key patterns', () => {
  it('accept real keys of their own kind only', () => {
    expect(ACTOR_KEY_PATTERN.test(ACTOR)).toBe(true);
    expect(PROVIDER_KEY_PATTERN.test(PROVIDER)).toBe(true);
    expect(HOST_KEY_PATTERN.test(HOST)).toBe(true);
    expect(ACTOR_KEY_PATTERN.test(PROVIDER)).toBe(false);
    expect(HOST_KEY_PATTERN.test(ACTOR)).toBe(false);
    expect(ACTOR_KEY_PATTERN.test(ACTOR.slice(0, 55))).toBe(false);
    expect(ACTOR_KEY_PATTERN.test(`${ACTOR}A`)).toBe(false);
    expect(ACTOR_KEY_PATTERN.test(ACTOR.toLowerCase())).toBe(false);
    expect(ACTOR_KEY_PATTERN.test(`M${'1'.repeat(55)}`)).toBe(false); // 1 is not base32
  });
});

describe('parseJsonMessage: bytes that are not a JSON message', () => {
  it('reports non-JSON input', () => {
    expect(parseError(launchActorRequestSchema, 'not json')).toMatch(/^request body is not valid JSON: /);
    expect(parseError(launchActorRequestSchema, '{"actor_ref":')).toBe(
      'request body is not valid JSON: unexpected end of JSON input',
    );
  });

  it('reports an empty body', () => {
    expect(parseJsonMessage(launchActorRequestSchema, new Uint8Array())).toEqual({
      ok: false,
      error: 'request body is not valid JSON: it is empty',
    });
  });

  it('reports bytes that are not UTF-8', () => {
    expect(parseJsonMessage(ctlAckSchema, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).toEqual({
      ok: false,
      error: 'request body is not valid JSON: it is not UTF-8 text',
    });
  });

  it('reports JSON that is not an object', () => {
    expect(parseError(launchActorRequestSchema, '[]')).toBe(
      'invalid launch-actor request: expected an object, got a list',
    );
    expect(parseError(launchActorRequestSchema, '"M"')).toBe(
      'invalid launch-actor request: expected an object, got a string',
    );
    expect(parseError(launchActorRequestSchema, 'null')).toBe(
      'invalid launch-actor request: expected an object, got null',
    );
  });

  it('does not echo the body in syntax errors (it may hold credentials)', () => {
    const error = parseError(registriesPutRequestSchema, 'xx {"password":"hunter2"');
    expect(error).toMatch(/^request body is not valid JSON/);
    expect(error).not.toContain('hunter2');
  });

  it('does not echo field values in validation errors', () => {
    const error = parseError(registriesPutRequestSchema, {
      'registry.io': { username: 'me', password: 12345678 },
    });
    expect(error).toBe(
      'invalid registries-put request: ["registry.io"].password: expected a string, got a number',
    );
    expect(error).not.toContain('12345678');
  });

  it('decodeJsonBytes names what it decodes', () => {
    expect(decodeJsonBytes(bytes('{"a":'), 'event')).toEqual({
      ok: false,
      error: 'event is not valid JSON: unexpected end of JSON input',
    });
    expect(decodeJsonBytes(bytes('{"a":1}'))).toEqual({ ok: true, value: { a: 1 } });
  });

  it('encodeJsonMessage writes UTF-8 JSON', () => {
    expect(new TextDecoder().decode(encodeJsonMessage(ack()))).toBe('{"accepted":true,"error":""}');
  });
});

describe('ack', () => {
  it('builds the standard acks', () => {
    expect(ack()).toEqual({ accepted: true, error: '' });
    expect(nack('ACTOR_NOT_RUNNING', 'no such actor')).toEqual({
      accepted: false,
      error: 'no such actor',
      code: 'ACTOR_NOT_RUNNING',
    });
  });

  it('parses both forms from the protocol', () => {
    expect(parsedValue(ctlAckSchema, '{"accepted": true, "error": ""}')).toEqual({
      accepted: true,
      error: '',
    });
    expect(parsedValue(ctlAckSchema, '{"accepted": false, "error": "<reason>"}')).toEqual({
      accepted: false,
      error: '<reason>',
    });
  });

  it('accepts a missing or null error and unknown fields', () => {
    expect(parsedValue(ctlAckSchema, { accepted: true })).toEqual({ accepted: true, error: '' });
    expect(parsedValue(ctlAckSchema, { accepted: true, error: null, extra: 1 })).toEqual({
      accepted: true,
      error: '',
      extra: 1,
    });
  });

  it('rejects a missing or mistyped accepted', () => {
    expect(parseError(ctlAckSchema, { error: '' })).toBe(
      'invalid ack: accepted: missing (expected true or false)',
    );
    expect(parseError(ctlAckSchema, { accepted: 'yes' })).toBe(
      'invalid ack: accepted: expected true or false, got a string',
    );
    expect(parseError(ctlAckSchema, { accepted: true, error: 3 })).toBe(
      'invalid ack: error: expected a string, got a number',
    );
  });
});

describe('ping reply', () => {
  const pingSample =
    sample(`{"id":"N…","labels":{"hostcore.os":"linux"},"friendly_name":"bold-wind-2335","uptime_seconds":6714,
 "uptime_human":"1h 51m 54s","version":"0.57.0","cluster_issuers":"C…,C…","js_domain":null,
 "ctl_host":"127.0.0.1","prov_rpc_host":"127.0.0.1","rpc_host":"127.0.0.1","lattice_prefix":"default"}`);

  it('parses the OTP 0.57 sample (js_domain null)', () => {
    const reply = parsedValue(hostPingReplySchema, pingSample);
    expect(reply.id).toBe(HOST);
    expect(reply.labels).toEqual({ 'hostcore.os': 'linux' });
    expect(reply.uptime_seconds).toBe(6714);
    expect(reply.cluster_issuers).toBe(`${CLUSTER},${CLUSTER}`);
    expect(reply.js_domain).toBeUndefined();
    expect(reply.lattice_prefix).toBe('default');
  });

  it('keeps the OTP 0.60 issuer and unknown fields', () => {
    const reply = parsedValue(hostPingReplySchema, {
      ...JSON.parse(pingSample),
      issuer: CLUSTER,
      future: [1],
    });
    expect(reply.issuer).toBe(CLUSTER);
    expect(reply.future).toEqual([1]);
  });

  it('needs only id and uptime_seconds', () => {
    expect(parsedValue(hostPingReplySchema, { id: HOST, uptime_seconds: 0 })).toEqual({
      id: HOST,
      uptime_seconds: 0,
      labels: {},
    });
  });

  it('rejects bad keys, missing uptime and a list of issuers', () => {
    expect(parseError(hostPingReplySchema, { id: ACTOR, uptime_seconds: 1 })).toBe(
      'invalid ping reply: id: expected a host public key (56 characters, starting with N)',
    );
    expect(parseError(hostPingReplySchema, { id: HOST })).toBe(
      'invalid ping reply: uptime_seconds: missing (expected a number)',
    );
    expect(parseError(hostPingReplySchema, { id: HOST, uptime_seconds: -1 })).toBe(
      'invalid ping reply: uptime_seconds: must not be negative',
    );
    expect(parseError(hostPingReplySchema, { id: HOST, uptime_seconds: 1, cluster_issuers: [CLUSTER] })).toBe(
      'invalid ping reply: cluster_issuers: expected a string, got a list',
    );
  });
});

describe('host inventory', () => {
  const inventorySample = sample(`{"host_id":"N…","labels":{…},"friendly_name":"…",
 "actors":[{"id":"M…","image_ref":"wasmcloud.azurecr.io/echo:0.3.4","name":"echo",
            "instances":[{"annotations":{},"instance_id":"uuid","revision":4}]}],
 "providers":[{"id":"V…","image_ref":"…/httpserver:0.15.0","link_name":"default","name":"HTTP Server",
               "instance_id":"uuid","annotations":{},"revision":0}]}`);

  it('parses the sample', () => {
    const inventory = parsedValue(hostInventorySchema, inventorySample);
    expect(inventory.host_id).toBe(HOST);
    expect(inventory.actors).toHaveLength(1);
    expect(inventory.actors[0]?.instances[0]).toEqual({ annotations: {}, instance_id: 'uuid', revision: 4 });
    expect(inventory.providers[0]?.link_name).toBe('default');
    expect(inventory.providers[0]?.revision).toBe(0);
  });

  it('accepts missing optional fields and unknown ones (OTP 0.60 contract_id)', () => {
    const inventory = parsedValue(hostInventorySchema, {
      host_id: HOST,
      labels: {},
      actors: [{ id: ACTOR, instances: [{ instance_id: 'i', revision: 1, max_instances: 3 }] }],
      providers: [{ id: PROVIDER, link_name: 'default', revision: 2, contract_id: 'wasmcloud:httpserver' }],
      issuer: CLUSTER,
    });
    expect(inventory.actors[0]?.image_ref).toBeUndefined();
    expect(inventory.actors[0]?.instances[0]?.annotations).toEqual({});
    expect(inventory.actors[0]?.instances[0]?.max_instances).toBe(3);
    expect(inventory.providers[0]?.contract_id).toBe('wasmcloud:httpserver');
    expect(inventory.issuer).toBe(CLUSTER);
  });

  it('insists on what wash insists on: labels, actors, providers and instances', () => {
    expect(parseError(hostInventorySchema, { host_id: HOST })).toBe(
      'invalid host inventory: labels: missing (expected an object); actors: missing (expected a list); providers: missing (expected a list)',
    );
    expect(
      parseError(hostInventorySchema, { host_id: HOST, labels: {}, actors: [{ id: ACTOR }], providers: [] }),
    ).toBe('invalid host inventory: actors[0].instances: missing (expected a list)');
    expect(
      parseError(hostInventorySchema, {
        host_id: HOST,
        labels: { 'hostcore.os': 1 },
        actors: [],
        providers: [{ id: PROVIDER, link_name: 'default', revision: 'x' }],
      }),
    ).toBe(
      'invalid host inventory: labels["hostcore.os"]: expected a string, got a number; providers[0].revision: expected a number, got a string',
    );
  });
});

describe('claims list', () => {
  it('parses the sample', () => {
    const list = parsedValue(
      claimsListSchema,
      sample(
        `{"claims":[{"call_alias":"","iss":"A…","name":"echo","caps":"wasmcloud:httpserver,wasmcloud:builtin:logging","rev":"4","tags":"","version":"0.3.4","sub":"M…"}]}`,
      ),
    );
    expect(list.claims[0]?.sub).toBe(ACTOR);
    expect(list.claims[0]?.caps).toBe('wasmcloud:httpserver,wasmcloud:builtin:logging');
  });

  it('accepts an empty list and unknown fields', () => {
    expect(parsedValue(claimsListSchema, { claims: [], more: true })).toEqual({ claims: [], more: true });
  });

  it('requires claims, with string values only', () => {
    expect(parseError(claimsListSchema, {})).toBe('invalid claims list: claims: missing (expected a list)');
    expect(parseError(claimsListSchema, { claims: [{ rev: 4 }] })).toBe(
      'invalid claims list: claims[0].rev: expected a string, got a number',
    );
  });
});

describe('links list', () => {
  const linksSample = sample(
    `{"links":[{"actor_id":"M…","provider_id":"V…","link_name":"default","contract_id":"wasmcloud:httpserver","values":{"PORT":"8080"}}]}`,
  );

  it('parses the sample', () => {
    expect(parsedValue(linksListSchema, linksSample)).toEqual(JSON.parse(linksSample));
  });

  it('fills defaults in each link and keeps unknown fields', () => {
    const list = parsedValue(linksListSchema, {
      links: [{ actor_id: ACTOR, provider_id: PROVIDER, contract_id: 'wasmcloud:keyvalue', id: 'X' }],
    });
    expect(list.links[0]).toEqual({
      actor_id: ACTOR,
      provider_id: PROVIDER,
      contract_id: 'wasmcloud:keyvalue',
      link_name: 'default',
      values: {},
      id: 'X',
    });
  });

  it('requires links and well-formed entries', () => {
    expect(parseError(linksListSchema, { links: null })).toBe(
      'invalid links list: links: expected a list, got null',
    );
    expect(parseError(linksListSchema, { links: [{ actor_id: ACTOR, provider_id: PROVIDER }] })).toBe(
      'invalid links list: links[0].contract_id: missing (expected a string)',
    );
  });
});

describe('link put', () => {
  const link = {
    actor_id: ACTOR,
    provider_id: PROVIDER,
    link_name: 'default',
    contract_id: 'wasmcloud:httpserver',
    values: { PORT: '8080' },
  };

  it('parses a full request', () => {
    expect(parsedValue(linkPutRequestSchema, link)).toEqual(link);
  });

  it('defaults values (OTP 0.60) and link_name, and keeps unknown fields', () => {
    const { values: _values, link_name: _name, ...bare } = link;
    expect(parsedValue(linkPutRequestSchema, { ...bare, note: 'x' })).toEqual({
      ...bare,
      link_name: 'default',
      values: {},
      note: 'x',
    });
    expect(parsedValue(linkPutRequestSchema, { ...bare, values: null, link_name: null }).values).toEqual({});
  });

  it('requires real actor and provider keys', () => {
    expect(parseError(linkPutRequestSchema, { ...link, actor_id: 'wasmcloud.azurecr.io/echo:0.3.4' })).toBe(
      'invalid link-put request: actor_id: expected an actor public key (56 characters, starting with M)',
    );
    expect(parseError(linkPutRequestSchema, { ...link, provider_id: ACTOR })).toBe(
      'invalid link-put request: provider_id: expected a provider public key (56 characters, starting with V)',
    );
    expect(parseError(linkPutRequestSchema, { ...link, actor_id: 42 })).toBe(
      'invalid link-put request: actor_id: expected a string, got a number',
    );
  });

  it('rejects a missing contract, bad values and an unsafe link name', () => {
    const { contract_id: _contract, ...noContract } = link;
    expect(parseError(linkPutRequestSchema, noContract)).toBe(
      'invalid link-put request: contract_id: missing (expected a string)',
    );
    expect(parseError(linkPutRequestSchema, { ...link, values: { PORT: 8080 } })).toBe(
      'invalid link-put request: values.PORT: expected a string, got a number',
    );
    expect(parseError(linkPutRequestSchema, { ...link, link_name: 'a.>' })).toBe(
      "invalid link-put request: link_name: a link name may not contain '.', '*', '>' or whitespace",
    );
  });
});

describe('link del', () => {
  it('parses the OTP body and the CIC 0.21 provider_id', () => {
    expect(
      parsedValue(linkDelRequestSchema, {
        actor_id: ACTOR,
        contract_id: 'wasmcloud:httpserver',
        link_name: 'default',
      }),
    ).toEqual({ actor_id: ACTOR, contract_id: 'wasmcloud:httpserver', link_name: 'default' });
    expect(
      parsedValue(linkDelRequestSchema, {
        actor_id: ACTOR,
        contract_id: 'wasmcloud:httpserver',
        provider_id: PROVIDER,
        x: 1,
      }),
    ).toEqual({
      actor_id: ACTOR,
      contract_id: 'wasmcloud:httpserver',
      link_name: 'default',
      provider_id: PROVIDER,
      x: 1,
    });
  });

  it('rejects a bad actor key and a missing contract', () => {
    expect(parseError(linkDelRequestSchema, { actor_id: 'echo', contract_id: 'wasmcloud:httpserver' })).toBe(
      'invalid link-del request: actor_id: expected an actor public key (56 characters, starting with M)',
    );
    expect(parseError(linkDelRequestSchema, { actor_id: ACTOR })).toBe(
      'invalid link-del request: contract_id: missing (expected a string)',
    );
  });
});

describe('launch actor', () => {
  it('parses the sample', () => {
    expect(
      parsedValue(
        launchActorRequestSchema,
        sample('{"actor_ref":"oci-ref|bindle://…","count":3,"annotations":{},"host_id":"N…"}'),
      ),
    ).toEqual({ actor_ref: 'oci-ref|bindle://…', count: 3, annotations: {}, host_id: HOST });
  });

  it('defaults count to 1 and annotations to {}, and accepts nulls and unknown fields', () => {
    expect(parsedValue(launchActorRequestSchema, { actor_ref: './echo.wasm' })).toEqual({
      actor_ref: './echo.wasm',
      count: 1,
      annotations: {},
    });
    expect(
      parsedValue(launchActorRequestSchema, {
        actor_ref: ACTOR,
        count: null,
        annotations: null,
        host_id: null,
        x: 1,
      }),
    ).toEqual({ actor_ref: ACTOR, count: 1, annotations: {}, x: 1 });
  });

  it('names the field that is wrong', () => {
    expect(parseError(launchActorRequestSchema, { actor_ref: 5 })).toBe(
      'invalid launch-actor request: actor_ref: expected a string, got a number',
    );
    expect(parseError(launchActorRequestSchema, {})).toBe(
      'invalid launch-actor request: actor_ref: missing (expected a string)',
    );
    expect(parseError(launchActorRequestSchema, { actor_ref: '' })).toBe(
      'invalid launch-actor request: actor_ref: must not be empty',
    );
    expect(parseError(launchActorRequestSchema, { actor_ref: 'x', count: 0 })).toBe(
      'invalid launch-actor request: count: must be at least 1',
    );
    expect(parseError(launchActorRequestSchema, { actor_ref: 'x', count: 1.5 })).toBe(
      'invalid launch-actor request: count: expected a whole number, got a fraction',
    );
    expect(parseError(launchActorRequestSchema, { actor_ref: 'x', count: '3' })).toBe(
      'invalid launch-actor request: count: expected a number, got a string',
    );
    expect(parseError(launchActorRequestSchema, { actor_ref: 'x', count: 70000 })).toBe(
      'invalid launch-actor request: count: must be at most 65535',
    );
    expect(parseError(launchActorRequestSchema, { actor_ref: 'x', annotations: { a: 1 } })).toBe(
      'invalid launch-actor request: annotations.a: expected a string, got a number',
    );
  });

  it('reports several problems at once', () => {
    expect(parseError(launchActorRequestSchema, { count: -1, annotations: [] })).toBe(
      'invalid launch-actor request: actor_ref: missing (expected a string); count: must be at least 1; annotations: expected an object, got a list',
    );
  });
});

describe('stop actor', () => {
  it('parses the sample', () => {
    expect(parsedValue(stopActorRequestSchema, '{"actor_ref":"M…|ref","count":1,"annotations":{}}')).toEqual({
      actor_ref: 'M…|ref',
      count: 1,
      annotations: {},
    });
  });

  it('accepts count 0 (all instances), absent annotations and unknown fields', () => {
    expect(parsedValue(stopActorRequestSchema, { actor_ref: ACTOR, count: 0, host_id: HOST, z: 1 })).toEqual({
      actor_ref: ACTOR,
      count: 0,
      annotations: {},
      host_id: HOST,
      z: 1,
    });
  });

  it('requires actor_ref and count', () => {
    expect(parseError(stopActorRequestSchema, { actor_ref: ACTOR })).toBe(
      'invalid stop-actor request: count: missing (expected a number)',
    );
    expect(parseError(stopActorRequestSchema, { count: 1 })).toBe(
      'invalid stop-actor request: actor_ref: missing (expected a string)',
    );
    expect(parseError(stopActorRequestSchema, { actor_ref: ACTOR, count: -2 })).toBe(
      'invalid stop-actor request: count: must be at least 0',
    );
  });
});

describe('scale actor', () => {
  it('parses the sample', () => {
    expect(
      parsedValue(
        scaleActorRequestSchema,
        sample('{"actor_id":"M…","actor_ref":"…","count":5,"annotations":{}}'),
      ),
    ).toEqual({ actor_id: ACTOR, actor_ref: '…', count: 5, annotations: {} });
  });

  it('accepts 0.82 extras and missing annotations', () => {
    expect(
      parsedValue(scaleActorRequestSchema, { actor_id: ACTOR, actor_ref: 'r', count: 0, max_concurrent: 4 }),
    ).toEqual({ actor_id: ACTOR, actor_ref: 'r', count: 0, annotations: {}, max_concurrent: 4 });
  });

  it('reads scale_to_zero (a wasmcloud-ts addition) as a boolean, and refuses anything else', () => {
    const request = { actor_id: ACTOR, actor_ref: 'r', count: 0, scale_to_zero: true };
    expect(parsedValue(scaleActorRequestSchema, request)).toEqual({ ...request, annotations: {} });
    expect(parseError(scaleActorRequestSchema, { ...request, scale_to_zero: 'yes' })).toMatch(
      /^invalid scale-actor request: scale_to_zero: /,
    );
  });

  it('requires a real actor key and a count', () => {
    expect(parseError(scaleActorRequestSchema, { actor_id: PROVIDER, actor_ref: 'r', count: 1 })).toBe(
      'invalid scale-actor request: actor_id: expected an actor public key (56 characters, starting with M)',
    );
    expect(parseError(scaleActorRequestSchema, { actor_id: ACTOR, actor_ref: 'r' })).toBe(
      'invalid scale-actor request: count: missing (expected a number)',
    );
  });
});

describe('update actor', () => {
  it('parses the sample', () => {
    expect(
      parsedValue(
        updateActorRequestSchema,
        sample('{"new_actor_ref":"…","actor_id":"M…","host_id":"N…","annotations":{}}'),
      ),
    ).toEqual({ new_actor_ref: '…', actor_id: ACTOR, host_id: HOST, annotations: {} });
  });

  it('accepts missing host_id and annotations, and unknown fields', () => {
    expect(parsedValue(updateActorRequestSchema, { new_actor_ref: 'r:2', actor_id: ACTOR, y: null })).toEqual(
      {
        new_actor_ref: 'r:2',
        actor_id: ACTOR,
        annotations: {},
        y: null,
      },
    );
  });

  it('requires new_actor_ref and a real actor key', () => {
    expect(parseError(updateActorRequestSchema, { actor_id: ACTOR })).toBe(
      'invalid update-actor request: new_actor_ref: missing (expected a string)',
    );
    expect(parseError(updateActorRequestSchema, { new_actor_ref: 'r', actor_id: 'Mshort' })).toBe(
      'invalid update-actor request: actor_id: expected an actor public key (56 characters, starting with M)',
    );
  });
});

describe('launch provider', () => {
  it('parses the sample', () => {
    expect(
      parsedValue(
        launchProviderRequestSchema,
        '{"provider_ref":"…","link_name":"default","configuration":"<opaque string, often base64 JSON>","annotations":{}}',
      ),
    ).toEqual({
      provider_ref: '…',
      link_name: 'default',
      configuration: '<opaque string, often base64 JSON>',
      annotations: {},
    });
  });

  it('defaults link_name, leaves configuration absent, accepts nulls and unknown fields', () => {
    expect(parsedValue(launchProviderRequestSchema, { provider_ref: 'ghcr.io/x/httpserver:0.19.1' })).toEqual(
      {
        provider_ref: 'ghcr.io/x/httpserver:0.19.1',
        link_name: 'default',
        annotations: {},
      },
    );
    const parsed = parsedValue(launchProviderRequestSchema, {
      provider_ref: 'p',
      link_name: '',
      configuration: null,
      host_id: HOST,
      q: 1,
    });
    expect(parsed).toEqual({ provider_ref: 'p', link_name: 'default', annotations: {}, host_id: HOST, q: 1 });
    expect(parsed.configuration).toBeUndefined();
  });

  it('rejects a missing ref, a non-string configuration and an unsafe link name', () => {
    expect(parseError(launchProviderRequestSchema, { link_name: 'default' })).toBe(
      'invalid launch-provider request: provider_ref: missing (expected a string)',
    );
    expect(parseError(launchProviderRequestSchema, { provider_ref: 'p', configuration: { a: 1 } })).toBe(
      'invalid launch-provider request: configuration: expected a string, got an object',
    );
    expect(parseError(launchProviderRequestSchema, { provider_ref: 'p', link_name: 'my link' })).toBe(
      "invalid launch-provider request: link_name: a link name may not contain '.', '*', '>' or whitespace",
    );
  });
});

describe('stop provider', () => {
  it('parses the sample', () => {
    expect(
      parsedValue(
        stopProviderRequestSchema,
        '{"provider_ref":"V…|ref","link_name":"default","contract_id":"wasmcloud:httpserver","annotations":{}}',
      ),
    ).toEqual({
      provider_ref: 'V…|ref',
      link_name: 'default',
      contract_id: 'wasmcloud:httpserver',
      annotations: {},
    });
  });

  it('accepts missing optional fields and unknown ones', () => {
    expect(parsedValue(stopProviderRequestSchema, { provider_ref: PROVIDER, extra: 'e' })).toEqual({
      provider_ref: PROVIDER,
      link_name: 'default',
      annotations: {},
      extra: 'e',
    });
  });

  it('rejects wrong types', () => {
    expect(parseError(stopProviderRequestSchema, { provider_ref: PROVIDER, contract_id: 1 })).toBe(
      'invalid stop-provider request: contract_id: expected a string, got a number',
    );
    expect(parseError(stopProviderRequestSchema, { provider_ref: [] })).toBe(
      'invalid stop-provider request: provider_ref: expected a string, got a list',
    );
  });
});

describe('stop host', () => {
  it('parses the sample', () => {
    expect(parsedValue(stopHostRequestSchema, sample('{"host_id":"N…","timeout":10000}'))).toEqual({
      host_id: HOST,
      timeout: 10000,
    });
  });

  it('accepts a null or absent timeout (CIC Option<u64>) and unknown fields', () => {
    expect(parsedValue(stopHostRequestSchema, { host_id: HOST })).toEqual({ host_id: HOST });
    expect(parsedValue(stopHostRequestSchema, { host_id: HOST, timeout: null, reason: 'x' })).toEqual({
      host_id: HOST,
      reason: 'x',
    });
  });

  it('requires the host key: a body that names no host stops nothing', () => {
    for (const body of [{}, { timeout: null }, { host_id: null, timeout: null }]) {
      expect(parseError(stopHostRequestSchema, body)).toMatch(/^invalid stop-host request: host_id: /);
    }
    expect(parseError(stopHostRequestSchema, { timeout: null })).toBe(
      'invalid stop-host request: host_id: missing (expected a string)',
    );
    expect(parseError(stopHostRequestSchema, { host_id: 'my-host' })).toBe(
      'invalid stop-host request: host_id: expected a host public key (56 characters, starting with N)',
    );
  });

  it('rejects a bad timeout', () => {
    expect(parseError(stopHostRequestSchema, { host_id: HOST, timeout: '10s' })).toBe(
      'invalid stop-host request: timeout: expected a number, got a string',
    );
    expect(parseError(stopHostRequestSchema, { host_id: HOST, timeout: -5 })).toBe(
      'invalid stop-host request: timeout: must not be negative',
    );
    expect(parseError(stopHostRequestSchema, `{"host_id":"${HOST}","timeout":1e400}`)).toBe(
      'invalid stop-host request: timeout: expected a number, got a number too large to represent',
    );
  });
});

describe('registries put', () => {
  it('parses the sample', () => {
    const body =
      '{"<server or bindle://server>":{"username":"…","password":"…","token":"…","registryType":"oci|bindle"}}';
    expect(parsedValue(registriesPutRequestSchema, body)).toEqual(JSON.parse(body));
  });

  it('accepts partial credentials, nulls and unknown fields', () => {
    expect(
      parsedValue(registriesPutRequestSchema, {
        'ghcr.io': { token: 't', username: null },
        'bindle://b.example': { registryType: 'bindle', insecure: true },
      }),
    ).toEqual({
      'ghcr.io': { token: 't' },
      'bindle://b.example': { registryType: 'bindle', insecure: true },
    });
    expect(parsedValue(registriesPutRequestSchema, {})).toEqual({});
  });

  it('rejects credentials that are not objects and empty server names', () => {
    expect(parseError(registriesPutRequestSchema, { 'ghcr.io': 'token' })).toBe(
      'invalid registries-put request: ["ghcr.io"]: expected an object, got a string',
    );
    expect(parseError(registriesPutRequestSchema, { '': {} })).toBe(
      'invalid registries-put request: [""]: invalid key: a registry name must not be empty',
    );
    expect(parseError(registriesPutRequestSchema, [])).toBe(
      'invalid registries-put request: expected an object, got a list',
    );
  });
});

describe('actor auction', () => {
  it('parses the request sample', () => {
    expect(parsedValue(actorAuctionRequestSchema, '{"actor_ref":"…","constraints":{"os":"linux"}}')).toEqual({
      actor_ref: '…',
      constraints: { os: 'linux' },
    });
  });

  it('defaults absent or null constraints to {} and keeps unknown fields', () => {
    expect(parsedValue(actorAuctionRequestSchema, { actor_ref: 'r' })).toEqual({
      actor_ref: 'r',
      constraints: {},
    });
    expect(parsedValue(actorAuctionRequestSchema, { actor_ref: 'r', constraints: null, k: 2 })).toEqual({
      actor_ref: 'r',
      constraints: {},
      k: 2,
    });
  });

  it('rejects a bad request', () => {
    expect(parseError(actorAuctionRequestSchema, { constraints: {} })).toBe(
      'invalid actor auction request: actor_ref: missing (expected a string)',
    );
    expect(parseError(actorAuctionRequestSchema, { actor_ref: 'r', constraints: { cpus: 4 } })).toBe(
      'invalid actor auction request: constraints.cpus: expected a string, got a number',
    );
  });

  it('parses a reply and requires the bidder host key', () => {
    const reply = { actor_ref: 'r', constraints: { os: 'linux' }, host_id: HOST };
    expect(parsedValue(actorAuctionReplySchema, reply)).toEqual(reply);
    expect(parsedValue(actorAuctionReplySchema, { actor_ref: 'r', host_id: OTHER_HOST, n: 1 })).toEqual({
      actor_ref: 'r',
      constraints: {},
      host_id: OTHER_HOST,
      n: 1,
    });
    expect(parseError(actorAuctionReplySchema, { actor_ref: 'r', constraints: {} })).toBe(
      'invalid actor auction reply: host_id: missing (expected a string)',
    );
    expect(parseError(actorAuctionReplySchema, { actor_ref: 'r', host_id: ACTOR })).toBe(
      'invalid actor auction reply: host_id: expected a host public key (56 characters, starting with N)',
    );
  });
});

describe('provider auction', () => {
  it('parses a request, defaulting link_name and constraints', () => {
    expect(
      parsedValue(providerAuctionRequestSchema, {
        provider_ref: 'p',
        link_name: 'default',
        constraints: { 'hostcore.os': 'linux' },
      }),
    ).toEqual({ provider_ref: 'p', link_name: 'default', constraints: { 'hostcore.os': 'linux' } });
    expect(parsedValue(providerAuctionRequestSchema, { provider_ref: 'p', extra: true })).toEqual({
      provider_ref: 'p',
      link_name: 'default',
      constraints: {},
      extra: true,
    });
  });

  it('rejects a bad request', () => {
    expect(parseError(providerAuctionRequestSchema, { provider_ref: 7 })).toBe(
      'invalid provider auction request: provider_ref: expected a string, got a number',
    );
    expect(parseError(providerAuctionRequestSchema, { provider_ref: 'p', constraints: 'os=linux' })).toBe(
      'invalid provider auction request: constraints: expected an object, got a string',
    );
  });

  it('parses a reply and requires the bidder host key', () => {
    const reply = { provider_ref: 'p', link_name: 'default', constraints: {}, host_id: HOST };
    expect(parsedValue(providerAuctionReplySchema, reply)).toEqual(reply);
    expect(parseError(providerAuctionReplySchema, { ...reply, host_id: 'host-1' })).toBe(
      'invalid provider auction reply: host_id: expected a host public key (56 characters, starting with N)',
    );
    expect(parseError(providerAuctionReplySchema, { link_name: 'default', host_id: HOST })).toBe(
      'invalid provider auction reply: provider_ref: missing (expected a string)',
    );
  });
});

describe('every control request: strict about types and required values, lenient about extras', () => {
  // For each request: a valid body; the fields it cannot do without; a field of each with a value
  // of the wrong type; and the optional fields 2022 encoders may send as null (serde Option).
  const requests: Array<{
    name: string;
    schema: z.ZodType;
    valid: Record<string, unknown>;
    required: string[];
    wrongTypes: Record<string, unknown>;
    nullable: string[];
  }> = [
    {
      name: 'link-put request',
      schema: linkPutRequestSchema,
      valid: { actor_id: ACTOR, provider_id: PROVIDER, contract_id: 'c', link_name: 'default', values: {} },
      required: ['actor_id', 'provider_id', 'contract_id'],
      wrongTypes: { actor_id: 1, provider_id: [], contract_id: {}, link_name: 5, values: [] },
      nullable: ['link_name', 'values'],
    },
    {
      name: 'link-del request',
      schema: linkDelRequestSchema,
      valid: { actor_id: ACTOR, contract_id: 'c', link_name: 'default', provider_id: PROVIDER },
      required: ['actor_id', 'contract_id'],
      wrongTypes: { actor_id: true, contract_id: 2, link_name: {}, provider_id: 3 },
      nullable: ['link_name', 'provider_id'],
    },
    {
      name: 'launch-actor request',
      schema: launchActorRequestSchema,
      valid: { actor_ref: 'r', count: 2, annotations: { a: 'b' }, host_id: HOST },
      required: ['actor_ref'],
      wrongTypes: { actor_ref: 5, count: '2', annotations: [], host_id: 7 },
      nullable: ['count', 'annotations', 'host_id'],
    },
    {
      name: 'stop-actor request',
      schema: stopActorRequestSchema,
      valid: { actor_ref: 'r', count: 1, annotations: {}, host_id: HOST },
      required: ['actor_ref', 'count'],
      wrongTypes: { actor_ref: [], count: true, annotations: 'a=b', host_id: {} },
      nullable: ['annotations', 'host_id'],
    },
    {
      name: 'scale-actor request',
      schema: scaleActorRequestSchema,
      valid: { actor_id: ACTOR, actor_ref: 'r', count: 3, annotations: {} },
      required: ['actor_id', 'actor_ref', 'count'],
      wrongTypes: { actor_id: 1, actor_ref: 2, count: '3', annotations: 4 },
      nullable: ['annotations', 'host_id'],
    },
    {
      name: 'update-actor request',
      schema: updateActorRequestSchema,
      valid: { actor_id: ACTOR, new_actor_ref: 'r:2', annotations: {}, host_id: HOST },
      required: ['actor_id', 'new_actor_ref'],
      wrongTypes: { actor_id: {}, new_actor_ref: 1, annotations: [], host_id: false },
      nullable: ['annotations', 'host_id'],
    },
    {
      name: 'launch-provider request',
      schema: launchProviderRequestSchema,
      valid: { provider_ref: 'p', link_name: 'default', configuration: 'e30=', annotations: {} },
      required: ['provider_ref'],
      wrongTypes: { provider_ref: 1, link_name: [], configuration: {}, annotations: 'x' },
      nullable: ['link_name', 'configuration', 'annotations', 'host_id'],
    },
    {
      name: 'stop-provider request',
      schema: stopProviderRequestSchema,
      valid: { provider_ref: PROVIDER, link_name: 'default', contract_id: 'c', annotations: {} },
      required: ['provider_ref'],
      wrongTypes: { provider_ref: 9, link_name: 1, contract_id: [], annotations: 2 },
      nullable: ['link_name', 'contract_id', 'annotations', 'host_id'],
    },
    {
      name: 'stop-host request',
      schema: stopHostRequestSchema,
      valid: { host_id: HOST, timeout: 1000 },
      required: ['host_id'],
      wrongTypes: { host_id: 1, timeout: '1000' },
      nullable: ['timeout'],
    },
    {
      name: 'actor auction request',
      schema: actorAuctionRequestSchema,
      valid: { actor_ref: 'r', constraints: { os: 'linux' } },
      required: ['actor_ref'],
      wrongTypes: { actor_ref: 1, constraints: [] },
      nullable: ['constraints'],
    },
    {
      name: 'provider auction request',
      schema: providerAuctionRequestSchema,
      valid: { provider_ref: 'p', link_name: 'default', constraints: {} },
      required: ['provider_ref'],
      wrongTypes: { provider_ref: {}, link_name: 3, constraints: 'os=linux' },
      nullable: ['link_name', 'constraints'],
    },
    {
      name: 'registries-put request',
      schema: registriesPutRequestSchema,
      valid: { 'localhost:5000': { username: 'u', password: 'p', token: 't', registryType: 'oci' } },
      required: [], // `{}` names no registry, which is fine; a null credential is refused below
      wrongTypes: { 'localhost:5000': 'u:p' },
      nullable: [],
    },
  ];

  it('refuses a registry credential that is null, naming the registry', () => {
    expect(parseError(registriesPutRequestSchema, { 'localhost:5000': null })).toBe(
      'invalid registries-put request: ["localhost:5000"]: expected an object, got null',
    );
  });

  for (const request of requests) {
    describe(request.name, () => {
      it('accepts the valid body, with unknown fields kept', () => {
        expect(parsedValue(request.schema, request.valid)).toMatchObject(request.valid);
        if (request.name !== 'registries-put request')
          expect(parsedValue(request.schema, { ...request.valid, future_field: [1] })).toMatchObject({
            future_field: [1],
          });
      });

      it.each(request.required)('refuses %s missing or null, naming it', (field) => {
        const { [field]: _dropped, ...without } = request.valid;
        const path = /^[A-Za-z_]\w*$/.test(field) ? field : `["${field}"]`;
        expect(parseError(request.schema, without)).toContain(`invalid ${request.name}: ${path}: `);
        expect(parseError(request.schema, { ...request.valid, [field]: null })).toMatch(
          new RegExp(`^invalid ${request.name}: ${path.replace(/[[\]".]/g, '\\$&')}: expected .*, got null$`),
        );
      });

      it.each(Object.entries(request.wrongTypes))(
        'refuses %s of the wrong type, naming it',
        (field, value) => {
          const path = /^[A-Za-z_]\w*$/.test(field) ? field : `["${field}"]`;
          expect(parseError(request.schema, { ...request.valid, [field]: value })).toContain(
            `invalid ${request.name}: ${path}: `,
          );
        },
      );

      if (request.nullable.length > 0) {
        it('takes null for its optional fields as absent (2022 serde Option)', () => {
          const nulls = Object.fromEntries(request.nullable.map((field) => [field, null]));
          expect(parse(request.schema, { ...request.valid, ...nulls }).ok).toBe(true);
        });
      }
    });
  }
});
