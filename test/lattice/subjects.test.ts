import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../lattice/errors.ts';
import {
  assertSubjectToken,
  HOST_COMMANDS,
  isSubjectToken,
  latticeSubjects,
  PROVIDER_RPC_QUEUE_GROUP,
  parseLatticeDataKey,
} from '../../lattice/subjects.ts';
import { ACTOR, HOST, PROVIDER } from '../helpers/keys.ts';

const s = latticeSubjects('default');

describe('subject tokens', () => {
  it('accepts plain tokens', () => {
    expect(isSubjectToken('default')).toBe(true);
    expect(isSubjectToken(HOST)).toBe(true);
    expect(isSubjectToken('my-lattice_2')).toBe(true);
    expect(assertSubjectToken('lattice prefix', 'prod')).toBe('prod');
  });

  it.each(['', 'a.b', '*', 'a*', '>', 'a>', 'a b', 'tab\there', 'new\nline', '\u00a0'])(
    'rejects %j',
    (bad) => {
      expect(isSubjectToken(bad)).toBe(false);
      expect(() => assertSubjectToken('host ID', bad)).toThrow(DecodeError);
    },
  );

  it('rejects non-strings', () => {
    expect(isSubjectToken(undefined)).toBe(false);
    expect(isSubjectToken(42)).toBe(false);
  });

  it('names the value and the rule in the error', () => {
    try {
      assertSubjectToken('lattice prefix', 'a.b');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DecodeError);
      expect((error as DecodeError).code).toBe('SUBJECT_INVALID_TOKEN');
      expect((error as DecodeError).message).toBe(
        `invalid lattice prefix "a.b": it must be non-empty and contain no '.', '*', '>' or whitespace`,
      );
    }
  });
});

describe('latticeSubjects', () => {
  it('refuses a lattice prefix that would change the subject', () => {
    expect(() => latticeSubjects('a.b')).toThrow(/invalid lattice prefix "a\.b"/);
    expect(() => latticeSubjects('*')).toThrow(DecodeError);
    expect(() => latticeSubjects('>')).toThrow(DecodeError);
    expect(() => latticeSubjects('')).toThrow(DecodeError);
    expect(() => latticeSubjects('de fault')).toThrow(DecodeError);
  });

  it('builds the control subjects', () => {
    expect(s.ctl.prefix).toBe('wasmbus.ctl.default');
    expect(s.ctl.ping()).toBe('wasmbus.ctl.default.ping.hosts');
    expect(s.ctl.getClaims()).toBe('wasmbus.ctl.default.get.claims');
    expect(s.ctl.getLinks()).toBe('wasmbus.ctl.default.get.links');
    expect(s.ctl.hostInventory(HOST)).toBe(`wasmbus.ctl.default.get.${HOST}.inv`);
    expect(s.ctl.linkPut()).toBe('wasmbus.ctl.default.linkdefs.put');
    expect(s.ctl.linkDel()).toBe('wasmbus.ctl.default.linkdefs.del');
    expect(s.ctl.registriesPut()).toBe('wasmbus.ctl.default.registries.put');
    expect(s.ctl.actorAuction()).toBe('wasmbus.ctl.default.auction.actor');
    expect(s.ctl.providerAuction()).toBe('wasmbus.ctl.default.auction.provider');
  });

  it('builds every host command subject', () => {
    expect(s.ctl.launchActor(HOST)).toBe(`wasmbus.ctl.default.cmd.${HOST}.la`);
    expect(s.ctl.stopActor(HOST)).toBe(`wasmbus.ctl.default.cmd.${HOST}.sa`);
    expect(s.ctl.scaleActor(HOST)).toBe(`wasmbus.ctl.default.cmd.${HOST}.scale`);
    expect(s.ctl.updateActor(HOST)).toBe(`wasmbus.ctl.default.cmd.${HOST}.upd`);
    expect(s.ctl.launchProvider(HOST)).toBe(`wasmbus.ctl.default.cmd.${HOST}.lp`);
    expect(s.ctl.stopProvider(HOST)).toBe(`wasmbus.ctl.default.cmd.${HOST}.sp`);
    expect(s.ctl.stopHost(HOST)).toBe(`wasmbus.ctl.default.cmd.${HOST}.stop`);
    expect(HOST_COMMANDS.map((c) => s.ctl.command(HOST, c))).toEqual(
      ['la', 'sa', 'scale', 'upd', 'lp', 'sp', 'stop'].map((c) => `wasmbus.ctl.default.cmd.${HOST}.${c}`),
    );
  });

  it('builds the subscriptions and queue group a host needs', () => {
    expect(s.ctl.subscriptions.hostCommands(HOST)).toBe(`wasmbus.ctl.default.cmd.${HOST}.*`);
    expect(s.ctl.subscriptions.hostInventory(HOST)).toBe(`wasmbus.ctl.default.get.${HOST}.inv`);
    expect(s.ctl.subscriptions.get()).toBe('wasmbus.ctl.default.get.*');
    expect(s.ctl.subscriptions.linkdefs()).toBe('wasmbus.ctl.default.linkdefs.*');
    expect(s.ctl.subscriptions.auctions()).toBe('wasmbus.ctl.default.auction.>');
    expect(s.ctl.subscriptions.ping()).toBe('wasmbus.ctl.default.ping.hosts');
    expect(s.ctl.subscriptions.registries()).toBe('wasmbus.ctl.default.registries.put');
    expect(s.ctl.queueGroup).toBe('wasmbus.ctl.default');
  });

  it('never lets a host ID turn a subject into a wildcard', () => {
    expect(() => s.ctl.launchActor('*')).toThrow(/invalid host ID/);
    expect(() => s.ctl.hostInventory('>')).toThrow(DecodeError);
    expect(() => s.ctl.subscriptions.hostCommands('N.x')).toThrow(DecodeError);
    expect(() => s.ctl.stopHost('')).toThrow(DecodeError);
  });

  it('uses the lattice prefix everywhere', () => {
    const other = latticeSubjects('prod-eu');
    expect(other.ctl.ping()).toBe('wasmbus.ctl.prod-eu.ping.hosts');
    expect(other.events.subject()).toBe('wasmbus.evt.prod-eu');
    expect(other.rpc.actor(ACTOR)).toBe(`wasmbus.rpc.prod-eu.${ACTOR}`);
    expect(other.latticeData.bucket).toBe('LATTICEDATA_prod-eu');
    expect(other.chunking.bucket).toBe('prod-eu');
    expect(other.configService()).toBe('wasmbus.cfg.prod-eu.req');
    expect(other.lattice).toBe('prod-eu');
  });

  it('builds the event subjects', () => {
    expect(s.events.subject()).toBe('wasmbus.evt.default');
    expect(s.events.named('actor_started')).toBe('wasmbus.evt.default.actor_started');
    expect(s.events.invocations()).toBe('wasmbus.rpcevt.default');
    expect(() => s.events.named('a.b')).toThrow(/invalid event name/);
  });

  it('builds the RPC subjects and queue groups', () => {
    expect(s.rpc.actor(ACTOR)).toBe(`wasmbus.rpc.default.${ACTOR}`);
    expect(s.rpc.actorQueueGroup(ACTOR)).toBe(`wasmbus.rpc.default.${ACTOR}`);
    expect(s.rpc.provider(PROVIDER, 'default')).toBe(`wasmbus.rpc.default.${PROVIDER}.default`);
    expect(s.rpc.providerLinkPut(PROVIDER, 'default')).toBe(
      `wasmbus.rpc.default.${PROVIDER}.default.linkdefs.put`,
    );
    expect(s.rpc.providerLinkDel(PROVIDER, 'default')).toBe(
      `wasmbus.rpc.default.${PROVIDER}.default.linkdefs.del`,
    );
    expect(s.rpc.providerHealth(PROVIDER, 'backup')).toBe(`wasmbus.rpc.default.${PROVIDER}.backup.health`);
    expect(s.rpc.providerShutdown(PROVIDER, 'default')).toBe(
      `wasmbus.rpc.default.${PROVIDER}.default.shutdown`,
    );
    expect(s.rpc.providerQueueGroup).toBe('rpc');
    expect(PROVIDER_RPC_QUEUE_GROUP).toBe('rpc');
  });

  it('rejects keys and link names that are not single tokens', () => {
    expect(() => s.rpc.actor(`${ACTOR}.x`)).toThrow(/invalid actor key/);
    expect(() => s.rpc.actor('>')).toThrow(DecodeError);
    expect(() => s.rpc.provider(PROVIDER, 'a.b')).toThrow(/invalid link name/);
    expect(() => s.rpc.provider(PROVIDER, '*')).toThrow(DecodeError);
    expect(() => s.rpc.providerHealth('V *', 'default')).toThrow(/invalid provider key/);
    expect(() => s.rpc.providerShutdown(PROVIDER, '')).toThrow(DecodeError);
  });

  it('names the config service subject', () => {
    expect(s.configService()).toBe('wasmbus.cfg.default.req');
  });

  it('names the KV bucket and its keys', () => {
    expect(s.latticeData.bucket).toBe('LATTICEDATA_default');
    expect(s.latticeData.linkdefKey('689498D34C769907E6698EA9ACF17F0EB1A42C9DCD09429788BDF71E751F4626')).toBe(
      'LINKDEF_689498D34C769907E6698EA9ACF17F0EB1A42C9DCD09429788BDF71E751F4626',
    );
    expect(s.latticeData.claimsKey(ACTOR)).toBe(`CLAIMS_${ACTOR}`);
    // Computed with: printf '%s' 'registry.example.com/echo:0.3.4' | base64 | tr '+/' '-_' | tr -d '='
    expect(s.latticeData.refmapKey('registry.example.com/echo:0.3.4')).toBe(
      'REFMAP_cmVnaXN0cnkuZXhhbXBsZS5jb20vZWNobzowLjMuNA',
    );
    expect(() => s.latticeData.claimsKey('M.x')).toThrow(DecodeError);
    expect(() => s.latticeData.linkdefKey('')).toThrow(DecodeError);
    expect(() => s.latticeData.refmapKey('')).toThrow(DecodeError);
  });

  it('uses base64url without padding for refmap keys', () => {
    // Standard base64 of 'a>>?' is 'YT4+Pw==': both a '+' and padding.
    const key = s.latticeData.refmapKey('a>>?');
    expect(key).toBe(`REFMAP_${Buffer.from('a>>?').toString('base64url')}`);
    expect(key).not.toMatch(/[+/=]/);
  });

  it('names the chunking object store and objects', () => {
    expect(s.chunking.bucket).toBe('default');
    expect(s.chunking.requestObject('4f1f3c4e-inv')).toBe('4f1f3c4e-inv');
    expect(s.chunking.responseObject('4f1f3c4e-inv')).toBe('4f1f3c4e-inv-r');
    expect(() => s.chunking.responseObject('a.b')).toThrow(DecodeError);
  });
});

describe('parseLatticeDataKey', () => {
  it('recognises each kind of key', () => {
    expect(parseLatticeDataKey('LINKDEF_ABC123')).toEqual({ kind: 'linkdef', id: 'ABC123' });
    expect(parseLatticeDataKey(`CLAIMS_${ACTOR}`)).toEqual({ kind: 'claims', publicKey: ACTOR });
    expect(parseLatticeDataKey(s.latticeData.refmapKey('registry.example.com/echo:0.3.4'))).toEqual({
      kind: 'refmap',
      ociRef: 'registry.example.com/echo:0.3.4',
    });
  });

  it('returns undefined for keys it does not know', () => {
    expect(parseLatticeDataKey('COMPONENT_x')).toBeUndefined();
    expect(parseLatticeDataKey('LINKDEF_')).toBeUndefined();
    expect(parseLatticeDataKey('REFMAP_not+base64url')).toBeUndefined();
    expect(parseLatticeDataKey('')).toBeUndefined();
  });
});

describe('ctl.operationOf', () => {
  it('recognises the lattice-wide operations', () => {
    expect(s.ctl.operationOf('wasmbus.ctl.default.ping.hosts')).toEqual({ kind: 'ping_hosts' });
    expect(s.ctl.operationOf('wasmbus.ctl.default.get.claims')).toEqual({ kind: 'get_claims' });
    expect(s.ctl.operationOf('wasmbus.ctl.default.get.links')).toEqual({ kind: 'get_links' });
    expect(s.ctl.operationOf('wasmbus.ctl.default.linkdefs.put')).toEqual({ kind: 'linkdefs_put' });
    expect(s.ctl.operationOf('wasmbus.ctl.default.linkdefs.del')).toEqual({ kind: 'linkdefs_del' });
    expect(s.ctl.operationOf('wasmbus.ctl.default.registries.put')).toEqual({ kind: 'registries_put' });
    expect(s.ctl.operationOf('wasmbus.ctl.default.auction.actor')).toEqual({ kind: 'auction_actor' });
    expect(s.ctl.operationOf('wasmbus.ctl.default.auction.provider')).toEqual({ kind: 'auction_provider' });
  });

  it('recognises host-addressed operations and extracts the host ID', () => {
    expect(s.ctl.operationOf(s.ctl.hostInventory(HOST))).toEqual({ kind: 'host_inventory', hostId: HOST });
    expect(s.ctl.hostLoad(HOST)).toBe(`wasmbus.ctl.default.get.${HOST}.load`);
    expect(s.ctl.operationOf(s.ctl.hostLoad(HOST))).toEqual({ kind: 'host_load', hostId: HOST });
    expect(s.ctl.hostMetrics(HOST)).toBe(`wasmbus.ctl.default.get.${HOST}.metrics`);
    expect(s.ctl.operationOf(s.ctl.hostMetrics(HOST))).toEqual({ kind: 'host_metrics', hostId: HOST });
    for (const command of HOST_COMMANDS) {
      expect(s.ctl.operationOf(s.ctl.command(HOST, command))).toEqual({
        kind: 'host_command',
        hostId: HOST,
        command,
      });
    }
  });

  it('returns undefined for anything else', () => {
    expect(s.ctl.operationOf('wasmbus.ctl.other.ping.hosts')).toBeUndefined();
    expect(s.ctl.operationOf(`wasmbus.ctl.default.cmd.${HOST}.bogus`)).toBeUndefined();
    expect(s.ctl.operationOf(`wasmbus.ctl.default.cmd.${HOST}.la.extra`)).toBeUndefined();
    expect(s.ctl.operationOf('wasmbus.ctl.default.get.other')).toBeUndefined();
    expect(s.ctl.operationOf('wasmbus.ctl.default')).toBeUndefined();
    expect(s.ctl.operationOf('wasmbus.ctl.default.cmd..la')).toBeUndefined();
  });
});
