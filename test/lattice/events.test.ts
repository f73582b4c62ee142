import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../lattice/errors.ts';
import {
  type CloudEvent,
  cloudEvent,
  EVENT_NAMES,
  type EventData,
  type EventName,
  eventDataSchemas,
  eventNameOf,
  heartbeatActorCounts,
  isEventName,
  isEventOf,
  parseCloudEvent,
} from '../../lattice/events.ts';
import { linkDefinitionId } from '../../lattice/link-definition.ts';
import { ACTOR, HOST, OTHER_ACTOR, PROVIDER } from '../helpers/keys.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const bytes = (value: unknown) =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

function envelope(name: string, data: unknown, overrides: Record<string, unknown> = {}) {
  return {
    specversion: '1.0',
    time: '2022-08-30T12:00:00.123456Z',
    type: `com.wasmcloud.lattice.${name}`,
    source: HOST,
    datacontenttype: 'application/json',
    id: '1c9a2b4e-7f0d-4e8a-9b1c-2d3e4f5a6b7c',
    data,
    ...overrides,
  };
}

function parsed(value: unknown): CloudEvent {
  const result = parseCloudEvent(bytes(value));
  if (!result.ok) throw new Error(`expected success, got: ${result.error}`);
  return result.value;
}

function parseError(value: unknown): string {
  const result = parseCloudEvent(bytes(value));
  if (result.ok) throw new Error(`expected failure, got: ${JSON.stringify(result.value)}`);
  return result.error;
}

const storedLink = {
  id: linkDefinitionId(ACTOR, 'wasmcloud:httpserver', 'default'),
  actor_id: ACTOR,
  provider_id: PROVIDER,
  link_name: 'default',
  contract_id: 'wasmcloud:httpserver',
  values: { PORT: '8080' },
};

/** Per event: complete data (as OTP 0.57 sends it), and a broken variant with the error it must give. */
const catalogue: Record<
  EventName,
  { valid: Record<string, unknown>; invalid: Record<string, unknown>; error: string }
> = {
  host_started: {
    valid: { labels: { 'hostcore.os': 'linux' }, friendly_name: 'bold-wind-2335' },
    invalid: { labels: ['linux'] },
    error: 'invalid host_started event: data.labels: expected an object, got a list',
  },
  host_stopped: {
    valid: { labels: { 'hostcore.arch': 'x86_64' } },
    invalid: { labels: { 'hostcore.arch': 64 } },
    error: 'invalid host_stopped event: data.labels["hostcore.arch"]: expected a string, got a number',
  },
  host_heartbeat: {
    valid: {
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
      friendly_name: 'bold-wind-2335',
      version: '0.57.0',
      uptime_seconds: 60,
      uptime_human: '1m',
    },
    invalid: { actors: 'M…' },
    error:
      'invalid host_heartbeat event: data.actors: expected a list of {public_key, instance_id} or a map of actor key to instance count',
  },
  actor_started: {
    valid: {
      public_key: ACTOR,
      image_ref: 'wasmcloud.azurecr.io/echo:0.3.4',
      api_version: 0,
      instance_id: 'a1',
      annotations: {},
      claims: {
        call_alias: '',
        caps: ['wasmcloud:httpserver'],
        issuer: 'ACOJJN6WUP4ODD75XEBKKTCCUJJCY5ZKQ56XVKYK4BEJWGVAOOQHZMCW',
        tags: [],
        name: 'echo',
        version: '0.3.4',
        revision: 4,
        not_before_human: 'never',
        expires_human: 'never',
      },
    },
    invalid: { image_ref: 'x', instance_id: 'a1' },
    error: 'invalid actor_started event: data.public_key: missing (expected a string)',
  },
  actor_stopped: {
    valid: { public_key: ACTOR, instance_id: 'a1' },
    invalid: { public_key: ACTOR, instance_id: 7 },
    error: 'invalid actor_stopped event: data.instance_id: expected a string, got a number',
  },
  actor_updated: {
    valid: { public_key: ACTOR, revision: 5, instance_id: 'a1' },
    invalid: { public_key: ACTOR, revision: '5', instance_id: 'a1' },
    error: 'invalid actor_updated event: data.revision: expected a number, got a string',
  },
  actor_update_failed: {
    valid: { public_key: ACTOR, revision: 5, instance_id: 'a1', reason: 'public key mismatch' },
    invalid: { public_key: ACTOR, revision: 5, instance_id: 'a1' },
    error: 'invalid actor_update_failed event: data.reason: missing (expected a string)',
  },
  actor_start_failed: {
    valid: { actor_ref: 'wasmcloud.azurecr.io/echo:0.3.4', error: 'Claims token expired' },
    invalid: { actor_ref: '', error: 'x' },
    error: 'invalid actor_start_failed event: data.actor_ref: must not be empty',
  },
  provider_started: {
    valid: {
      public_key: PROVIDER,
      image_ref: 'wasmcloud.azurecr.io/httpserver:0.15.0',
      link_name: 'default',
      contract_id: 'wasmcloud:httpserver',
      instance_id: 'p1',
      annotations: { app: 'x' },
      claims: {
        issuer: 'A',
        tags: [],
        name: 'HTTP Server',
        version: '0.15.0',
        not_before_human: 'never',
        expires_human: 'never',
      },
    },
    invalid: { public_key: PROVIDER, link_name: 'default', instance_id: 'p1' },
    error: 'invalid provider_started event: data.contract_id: missing (expected a string)',
  },
  provider_stopped: {
    valid: {
      public_key: PROVIDER,
      link_name: 'default',
      contract_id: 'wasmcloud:httpserver',
      instance_id: 'p1',
      reason: 'normal',
    },
    invalid: { public_key: PROVIDER, link_name: 'a b', contract_id: 'c', instance_id: 'p1' },
    error:
      "invalid provider_stopped event: data.link_name: a link name may not contain '.', '*', '>' or whitespace",
  },
  provider_start_failed: {
    valid: {
      provider_ref: 'wasmcloud.azurecr.io/httpserver:0.15.0',
      link_name: 'default',
      error: 'no such file',
    },
    invalid: { provider_ref: 'p', link_name: 'default' },
    error: 'invalid provider_start_failed event: data.error: missing (expected a string)',
  },
  health_check_passed: {
    valid: { public_key: PROVIDER, link_name: 'default' },
    invalid: { link_name: 'default' },
    error: 'invalid health_check_passed event: data.public_key: missing (expected a string)',
  },
  health_check_failed: {
    valid: { public_key: PROVIDER, link_name: 'default' },
    invalid: { public_key: true, link_name: 'default' },
    error: 'invalid health_check_failed event: data.public_key: expected a string, got true',
  },
  linkdef_set: {
    valid: storedLink,
    invalid: { ...storedLink, id: undefined },
    error: 'invalid linkdef_set event: data.id: missing (expected a string)',
  },
  linkdef_deleted: {
    valid: storedLink,
    invalid: { ...storedLink, values: { PORT: 8080 } },
    error: 'invalid linkdef_deleted event: data.values.PORT: expected a string, got a number',
  },
  refmap_set: {
    valid: { oci_url: 'wasmcloud.azurecr.io/echo:0.3.4', public_key: ACTOR },
    invalid: { oci_url: 'wasmcloud.azurecr.io/echo:0.3.4' },
    error: 'invalid refmap_set event: data.public_key: missing (expected a string)',
  },
  invocation_succeeded: {
    valid: {
      source: { public_key: PROVIDER, contract_id: 'wasmcloud:httpserver', link_name: 'default' },
      dest: { public_key: ACTOR, contract_id: '', link_name: '' },
      operation: 'HttpServer.HandleRequest',
      bytes: 42,
    },
    invalid: { source: { public_key: PROVIDER }, dest: {}, operation: 'X.Y', bytes: 1 },
    error: 'invalid invocation_succeeded event: data.dest.public_key: missing (expected a string)',
  },
  invocation_failed: {
    valid: {
      source: { public_key: ACTOR, contract_id: '', link_name: '' },
      dest: { public_key: PROVIDER, contract_id: 'wasmcloud:keyvalue', link_name: 'default' },
      operation: 'KeyValue.Get',
      bytes: 3,
    },
    invalid: {
      source: { public_key: ACTOR },
      dest: { public_key: PROVIDER },
      operation: 'KeyValue.Get',
      bytes: -3,
    },
    error: 'invalid invocation_failed event: data.bytes: must not be negative',
  },
  actor_interrupted: {
    valid: { public_key: ACTOR, operation: 'Loop.Forever', timeout_ms: 2000, action: 'interrupted' },
    invalid: { public_key: ACTOR, operation: 'Loop.Forever', timeout_ms: -1, action: 'interrupted' },
    error: 'invalid actor_interrupted event: data.timeout_ms: must not be negative',
  },
  nats_reconnected: {
    valid: {
      connection: 'control',
      server: '127.0.0.1:4222',
      down_ms: 2_345,
      disconnected_at: '2022-08-30T12:00:00.000Z',
    },
    invalid: { connection: 'control', server: '127.0.0.1:4222', down_ms: 1.5 },
    error: 'invalid nats_reconnected event: data.down_ms: expected a whole number, got a fraction',
  },
};

describe('cloudEvent', () => {
  it('builds a CloudEvent 1.0 envelope', () => {
    const before = Date.now();
    const event = cloudEvent('actor_stopped', HOST, { public_key: ACTOR, instance_id: 'a1' });
    expect(event.specversion).toBe('1.0');
    expect(event.type).toBe('com.wasmcloud.lattice.actor_stopped');
    expect(event.source).toBe(HOST);
    expect(event.datacontenttype).toBe('application/json');
    expect(event.id).toMatch(UUID_V4);
    expect(new Date(event.time).toISOString()).toBe(event.time);
    expect(Date.parse(event.time)).toBeGreaterThanOrEqual(before - 1);
    expect(event.data).toEqual({ public_key: ACTOR, instance_id: 'a1' });
  });

  it('gives every event its own id', () => {
    const a = cloudEvent('host_stopped', HOST, { labels: {} });
    const b = cloudEvent('host_stopped', HOST, { labels: {} });
    expect(a.id).not.toBe(b.id);
  });

  it('accepts names outside the catalogue with any data', () => {
    const event = cloudEvent('component_scaled', HOST, { max_instances: 2 });
    expect(event.type).toBe('com.wasmcloud.lattice.component_scaled');
  });

  it('refuses a name that would break the per-event subject', () => {
    expect(() => cloudEvent('actor.started', HOST, {})).toThrow(DecodeError);
    expect(() => cloudEvent('', HOST, {})).toThrow(/invalid event name/);
  });

  it('round-trips through parseCloudEvent', () => {
    for (const name of EVENT_NAMES) {
      const event = cloudEvent(
        name,
        HOST,
        eventDataSchemas[name].parse(catalogue[name].valid) as EventData<EventName>,
      );
      expect(parsed(event)).toEqual(JSON.parse(JSON.stringify(event)));
    }
  });
});

describe('parseCloudEvent: envelope', () => {
  it('parses the 2023 heartbeat envelope from the protocol notes verbatim', () => {
    const text =
      '{"data":{"actors":{},"friendly_name":"muddy-sound-2424","labels":{"hostcore.arch":"aarch64","hostcore.os":"linux","hostcore.osfamily":"unix"},"providers":[],"uptime_human":"34 minutes, 30 seconds","uptime_seconds":2070,"version":"0.63.1"},"datacontenttype":"application/json","id":"fbf7…","source":"NCNR…","specversion":"1.0","time":"2023-06-09T19:03:26.395288Z","type":"com.wasmcloud.lattice.host_heartbeat"}';
    const event = parsed(text);
    expect(eventNameOf(event)).toBe('host_heartbeat');
    expect(isEventOf(event, 'host_heartbeat')).toBe(true);
    if (!isEventOf(event, 'host_heartbeat')) return;
    expect(event.data.friendly_name).toBe('muddy-sound-2424');
    expect(event.data.uptime_seconds).toBe(2070);
    expect(heartbeatActorCounts(event.data)).toEqual({});
  });

  it('keeps unknown envelope fields (extensions) and accepts a missing datacontenttype', () => {
    const { datacontenttype: _type, ...bare } = envelope('host_stopped', { labels: {} });
    const event = parsed({ ...bare, traceparent: '00-abc-def-01' });
    expect(event.traceparent).toBe('00-abc-def-01');
    expect(event.datacontenttype).toBe('application/json');
  });

  it('accepts the OTP 0.60 re-published linkdef_set with source "n/a"', () => {
    expect(parsed(envelope('linkdef_set', storedLink, { source: 'n/a' })).source).toBe('n/a');
  });

  it('accepts a time with an offset', () => {
    expect(parsed(envelope('host_stopped', {}, { time: '2022-08-30T14:00:00+02:00' })).time).toBe(
      '2022-08-30T14:00:00+02:00',
    );
  });

  it('rejects bytes that are not a JSON object', () => {
    expect(parseCloudEvent(new Uint8Array())).toEqual({
      ok: false,
      error: 'event is not valid JSON: it is empty',
    });
    expect(parseError('{"specversion":')).toBe('event is not valid JSON: unexpected end of JSON input');
    expect(parseError([])).toBe('invalid cloud event: expected an object, got a list');
  });

  it('rejects a broken envelope, naming the field', () => {
    expect(parseError(envelope('host_stopped', {}, { specversion: '0.3' }))).toBe(
      'invalid cloud event: specversion: expected "1.0"',
    );
    expect(parseError(envelope('host_stopped', {}, { time: 'yesterday' }))).toBe(
      'invalid cloud event: time: expected an ISO-8601 date and time',
    );
    expect(parseError(envelope('host_stopped', {}, { type: 'com.example.other' }))).toBe(
      'invalid cloud event: type: expected a type starting with "com.wasmcloud.lattice."',
    );
    expect(parseError(envelope('host_stopped', {}, { source: undefined }))).toBe(
      'invalid cloud event: source: missing (expected a string)',
    );
    expect(parseError(envelope('host_stopped', {}, { id: '' }))).toBe(
      'invalid cloud event: id: must not be empty',
    );
  });

  it('passes events of unknown names with their data unchecked', () => {
    const event = parsed(envelope('component_scaled', { anything: [1, 2] }));
    expect(event.data).toEqual({ anything: [1, 2] });
    expect(isEventName(eventNameOf(event))).toBe(false);
    expect(isEventOf(event, 'actor_started')).toBe(false);
    expect(parsed(envelope('labels_changed', 'not even an object')).data).toBe('not even an object');
  });
});

describe('parseCloudEvent: data of each event', () => {
  it('covers the whole §2.2 catalogue', () => {
    expect([...EVENT_NAMES].sort()).toEqual(Object.keys(catalogue).sort());
    expect(EVENT_NAMES).toHaveLength(20);
  });

  it.each(EVENT_NAMES)('%s: accepts complete data', (name) => {
    const event = parsed(envelope(name, catalogue[name].valid));
    expect(isEventOf(event, name)).toBe(true);
    expect(event.data).toMatchObject(catalogue[name].valid);
  });

  it.each(EVENT_NAMES)('%s: keeps unknown data fields', (name) => {
    const event = parsed(envelope(name, { ...catalogue[name].valid, added_later: 'x' }));
    expect((event.data as Record<string, unknown>).added_later).toBe('x');
  });

  it.each(EVENT_NAMES)('%s: rejects broken data, naming the field', (name) => {
    expect(parseError(envelope(name, catalogue[name].invalid))).toBe(catalogue[name].error);
  });

  it.each(EVENT_NAMES)('%s: rejects data that is not an object', (name) => {
    expect(parseError(envelope(name, 'x'))).toBe(
      `invalid ${name} event: data: expected an object, got a string`,
    );
  });

  it('accepts missing and null optional fields', () => {
    const started = parsed(
      envelope('actor_started', { public_key: ACTOR, instance_id: 'a1', image_ref: null }),
    );
    expect(isEventOf(started, 'actor_started')).toBe(true);
    if (!isEventOf(started, 'actor_started')) return;
    expect(started.data.image_ref).toBeUndefined();
    expect(started.data.annotations).toEqual({});
    expect(started.data.claims).toBeUndefined();

    const host = parsed(envelope('host_started', {}));
    if (!isEventOf(host, 'host_started')) throw new Error('narrowing failed');
    expect(host.data.labels).toEqual({});

    const stopped = parsed(
      envelope('provider_stopped', {
        public_key: PROVIDER,
        link_name: 'default',
        contract_id: 'c',
        instance_id: 'p',
      }),
    );
    if (!isEventOf(stopped, 'provider_stopped')) throw new Error('narrowing failed');
    expect(stopped.data.reason).toBeUndefined();
  });

  it('accepts claims caps and tags as comma-joined strings', () => {
    const event = parsed(
      envelope('actor_started', {
        public_key: ACTOR,
        instance_id: 'a1',
        claims: { caps: 'wasmcloud:httpserver,wasmcloud:keyvalue', tags: '' },
      }),
    );
    if (!isEventOf(event, 'actor_started')) throw new Error('narrowing failed');
    expect(event.data.claims?.caps).toBe('wasmcloud:httpserver,wasmcloud:keyvalue');
  });

  it('fills the entity defaults of invocation events', () => {
    const event = parsed(
      envelope('invocation_succeeded', {
        source: { public_key: PROVIDER, contract_id: 'wasmcloud:httpserver', link_name: 'default' },
        dest: { public_key: ACTOR },
        operation: 'HttpServer.HandleRequest',
        bytes: 0,
      }),
    );
    if (!isEventOf(event, 'invocation_succeeded')) throw new Error('narrowing failed');
    expect(event.data.dest).toEqual({ public_key: ACTOR, contract_id: '', link_name: '' });
  });
});

describe('host heartbeat', () => {
  const otp57 = {
    actors: [
      { public_key: ACTOR, instance_id: 'a1' },
      { public_key: ACTOR, instance_id: 'a2' },
      { public_key: OTHER_ACTOR, instance_id: 'b1' },
    ],
    providers: [
      { public_key: PROVIDER, link_name: 'default', contract_id: 'wasmcloud:httpserver', instance_id: 'p1' },
    ],
    labels: {},
    friendly_name: 'bold-wind-2335',
    version: '0.57.0',
    uptime_seconds: 10,
    uptime_human: '10s',
  };
  const otp60 = {
    actors: { [ACTOR]: 2, [OTHER_ACTOR]: 1 },
    providers: [{ public_key: PROVIDER, link_name: 'default', contract_id: 'wasmcloud:httpserver' }],
    labels: { 'hostcore.os': 'linux' },
    friendly_name: 'bold-wind-2335',
    version: '0.60.0',
    uptime_seconds: 10,
  };

  function heartbeat(data: unknown) {
    const event = parsed(envelope('host_heartbeat', data));
    if (!isEventOf(event, 'host_heartbeat')) throw new Error('narrowing failed');
    return event.data;
  }

  it('accepts the OTP 0.57 instance list and counts it per actor', () => {
    const data = heartbeat(otp57);
    expect(Array.isArray(data.actors)).toBe(true);
    expect(data.providers[0]?.instance_id).toBe('p1');
    expect(heartbeatActorCounts(data)).toEqual({ [ACTOR]: 2, [OTHER_ACTOR]: 1 });
  });

  it('accepts the OTP 0.60 count map and providers without instance IDs', () => {
    const data = heartbeat(otp60);
    expect(data.providers[0]?.instance_id).toBeUndefined();
    expect(heartbeatActorCounts(data)).toEqual({ [ACTOR]: 2, [OTHER_ACTOR]: 1 });
  });

  it('gives both forms the same counts', () => {
    expect(heartbeatActorCounts(heartbeat(otp57))).toEqual(heartbeatActorCounts(heartbeat(otp60)));
  });

  it('treats missing actors and providers as none', () => {
    const data = heartbeat({ labels: {} });
    expect(heartbeatActorCounts(data)).toEqual({});
    expect(data.providers).toEqual([]);
  });

  it('counts a hostile "__proto__" key as an ordinary actor key', () => {
    const counts = heartbeatActorCounts({ actors: [{ public_key: '__proto__', instance_id: 'x' }] });
    expect(Object.getPrototypeOf(counts)).toBe(Object.prototype);
    expect(Object.hasOwn(counts, '__proto__')).toBe(true);
    expect(Object.entries(counts)).toEqual([['__proto__', 1]]);
  });

  it('rejects negative or fractional counts and malformed instances, naming the entry', () => {
    expect(parseError(envelope('host_heartbeat', { actors: { [ACTOR]: -1 } }))).toBe(
      `invalid host_heartbeat event: data.actors.${ACTOR}: must not be negative`,
    );
    expect(parseError(envelope('host_heartbeat', { actors: { [ACTOR]: 1.5 } }))).toBe(
      `invalid host_heartbeat event: data.actors.${ACTOR}: expected a whole number, got a fraction`,
    );
    expect(parseError(envelope('host_heartbeat', { actors: [{ instance_id: 'x' }] }))).toBe(
      'invalid host_heartbeat event: data.actors[0].public_key: missing (expected a string)',
    );
    expect(parseError(envelope('host_heartbeat', { providers: [{ link_name: 'default' }] }))).toBe(
      'invalid host_heartbeat event: data.providers[0].public_key: missing (expected a string)',
    );
  });
});
