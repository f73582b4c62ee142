import { describe, expect, it } from 'vitest';
import {
  actionForEvent,
  actionForMessage,
  DEFAULT_PORT,
  deleteForLink,
  LINKDEF_DELETED_EVENT,
  LINKDEF_SET_EVENT,
  type LinkDefinitionData,
  MalformedEventError,
  portForLink,
  serviceForLink,
} from '../../actors/service-applier/service.ts';

const ACTOR = 'MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5';
const PROVIDER = 'VAG3QITQQ2ODAOWB5TTQSDJ53XK3SHBEIFNK4AYJ5RKAX2UNSCAPHA5M';

function link(values: Record<string, string> = {}, contractId = 'wasmcloud:httpserver'): LinkDefinitionData {
  return {
    id: '5e8f0d2c-1b7a-4c3e-9f6d-0a1b2c3d4e5f',
    actor_id: ACTOR,
    provider_id: PROVIDER,
    link_name: 'default',
    contract_id: contractId,
    values,
  };
}

function envelope(type: string, data: unknown) {
  return {
    specversion: '1.0',
    time: '2022-08-30T12:00:00.123456Z',
    type,
    source: 'n/a',
    datacontenttype: 'application/json',
    id: '1c9a2b4e-7f0d-4e8a-9b1c-2d3e4f5a6b7c',
    data,
  };
}

describe('portForLink', () => {
  it('uses the port value', () => {
    expect(portForLink({ port: '8081' })).toBe(8081);
  });

  it('uses the port of address (host:port) when there is no port', () => {
    expect(portForLink({ address: '0.0.0.0:9000' })).toBe(9000);
    expect(portForLink({ address: 'localhost:9001' })).toBe(9001);
    expect(portForLink({ address: '[::1]:9002' })).toBe(9002);
  });

  it('prefers port over address', () => {
    expect(portForLink({ address: '0.0.0.0:9000', port: '8081' })).toBe(8081);
  });

  it('defaults to 8080', () => {
    expect(DEFAULT_PORT).toBe(8080);
    expect(portForLink({})).toBe(8080);
    expect(portForLink(undefined)).toBe(8080);
    expect(portForLink({ config_json: '{"address":"0.0.0.0:7000"}' })).toBe(8080);
  });

  it('matches value keys in any case', () => {
    expect(portForLink({ PORT: '8081' })).toBe(8081);
    expect(portForLink({ Port: '8082' })).toBe(8082);
    expect(portForLink({ ADDRESS: '127.0.0.1:8083' })).toBe(8083);
    expect(portForLink({ Address: '127.0.0.1:8084', pOrT: '8085' })).toBe(8085);
  });

  it('rejects values that are not ports', () => {
    const malformed: Record<string, string>[] = [
      { port: 'eighty' },
      { port: '' },
      { port: '0' },
      { port: '65536' },
      { port: '80.5' },
      { port: '-1' },
      { address: '0.0.0.0' },
      { address: '::1:8080' },
      { address: '[::1]' },
      { address: ':8080' },
      { address: '0.0.0.0:http' },
    ];
    for (const values of malformed) {
      expect(() => portForLink(values), JSON.stringify(values)).toThrow(MalformedEventError);
    }
    expect(portForLink({ port: '65535' })).toBe(65535);
    expect(portForLink({ port: '1' })).toBe(1);
  });
});

describe('serviceForLink', () => {
  it('builds the v1 Service for an httpserver link', () => {
    expect(serviceForLink(link({ PORT: '8081' }))).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: ACTOR.toLowerCase(),
        labels: {
          'wasmcloud.dev/actor-id': ACTOR,
          'wasmcloud.dev/contract': 'httpserver',
          'wasmcloud.dev/link-name': 'default',
          'wasmcloud.dev/provider-id': PROVIDER,
        },
      },
      spec: {
        selector: { 'wasmcloud.dev/route-to': 'true' },
        ports: [{ protocol: 'TCP', port: 8081, targetPort: 8081 }],
        type: 'ClusterIP',
      },
    });
  });

  it('names the Service after the lower-cased actor id and keeps the id as it is in the label', () => {
    const service = serviceForLink({ ...link(), actor_id: 'MABC' });
    expect(service?.metadata.name).toBe('mabc');
    expect(service?.metadata.labels['wasmcloud.dev/actor-id']).toBe('MABC');
  });

  it('labels the link name and provider of the link', () => {
    const service = serviceForLink({ ...link(), link_name: 'backend', provider_id: 'VXYZ' });
    expect(service?.metadata.labels).toMatchObject({
      'wasmcloud.dev/link-name': 'backend',
      'wasmcloud.dev/provider-id': 'VXYZ',
    });
  });

  it('uses the same port and targetPort', () => {
    const service = serviceForLink(link({ address: '0.0.0.0:9000' }));
    expect(service?.spec.ports).toEqual([{ protocol: 'TCP', port: 9000, targetPort: 9000 }]);
    expect(serviceForLink(link())?.spec.ports[0]?.port).toBe(8080);
  });

  it('ignores links of other contracts', () => {
    expect(serviceForLink(link({ port: '8081' }, 'wasmcloud:keyvalue'))).toBeUndefined();
    expect(serviceForLink(link({}, 'wasmcloud:messaging'))).toBeUndefined();
    expect(deleteForLink(link({}, 'wasmcloud:keyvalue'))).toBeUndefined();
  });

  it('rejects an actor id that cannot name a Service', () => {
    expect(() => serviceForLink({ ...link(), actor_id: '' })).toThrow(MalformedEventError);
    expect(() => serviceForLink({ ...link(), actor_id: 'not a key' })).toThrow(MalformedEventError);
    expect(() => serviceForLink({ ...link(), actor_id: 'M'.repeat(64) })).toThrow(MalformedEventError);
  });
});

describe('deleteForLink', () => {
  it('deletes the v1 Service in the default namespace', () => {
    expect(deleteForLink(link())).toEqual({
      group: '',
      version: 'v1',
      kind: 'Service',
      name: ACTOR.toLowerCase(),
      namespace: undefined,
    });
  });
});

describe('actionForEvent', () => {
  it('applies on linkdef_set for httpserver', () => {
    const action = actionForEvent(envelope(LINKDEF_SET_EVENT, link({ Port: '8081' })));
    expect(action).toEqual({
      kind: 'apply',
      actorId: ACTOR,
      service: serviceForLink(link({ port: '8081' })),
    });
  });

  it('deletes on linkdef_deleted for httpserver', () => {
    expect(actionForEvent(envelope(LINKDEF_DELETED_EVENT, link()))).toEqual({
      kind: 'delete',
      actorId: ACTOR,
      request: deleteForLink(link()),
    });
  });

  it('ignores other contracts and other events', () => {
    expect(actionForEvent(envelope(LINKDEF_SET_EVENT, link({}, 'wasmcloud:keyvalue')))).toEqual({
      kind: 'ignore',
    });
    expect(actionForEvent(envelope(LINKDEF_DELETED_EVENT, link({}, 'wasmcloud:keyvalue')))).toEqual({
      kind: 'ignore',
    });
    expect(actionForEvent(envelope('com.wasmcloud.lattice.host_heartbeat', { actors: {} }))).toEqual({
      kind: 'ignore',
    });
    expect(actionForEvent(envelope('com.wasmcloud.lattice.actor_started', null))).toEqual({ kind: 'ignore' });
  });

  it('accepts a link definition without values', () => {
    const { values: _, ...withoutValues } = link();
    expect(actionForEvent(envelope(LINKDEF_SET_EVENT, withoutValues))).toMatchObject({ kind: 'apply' });
    expect(actionForEvent(envelope(LINKDEF_SET_EVENT, { ...withoutValues, values: null }))).toMatchObject({
      kind: 'apply',
    });
  });

  it('rejects malformed events', () => {
    const { actor_id: _, ...withoutActor } = link();
    for (const event of [
      null,
      [1, 2],
      'text',
      { data: link() },
      { type: 42 },
      envelope(LINKDEF_SET_EVENT, null),
      envelope(LINKDEF_SET_EVENT, { actor_id: ACTOR }),
      envelope(LINKDEF_SET_EVENT, withoutActor),
      envelope(LINKDEF_SET_EVENT, { ...link(), link_name: 7 }),
      envelope(LINKDEF_SET_EVENT, { ...link(), values: ['port', '80'] }),
      envelope(LINKDEF_SET_EVENT, { ...link(), values: { port: 8081 } }),
      envelope(LINKDEF_DELETED_EVENT, withoutActor),
    ]) {
      expect(() => actionForEvent(event), JSON.stringify(event)).toThrow(MalformedEventError);
    }
  });
});

describe('actionForMessage', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);

  it('parses the message body as JSON', () => {
    expect(actionForMessage(bytes(JSON.stringify(envelope(LINKDEF_SET_EVENT, link()))))).toMatchObject({
      kind: 'apply',
    });
  });

  it('rejects bodies that are not JSON text', () => {
    for (const body of [bytes('not json'), new Uint8Array(), new Uint8Array([0xff, 0xfe, 0x7b, 0x7d])]) {
      expect(() => actionForMessage(body)).toThrow(MalformedEventError);
    }
  });
});
