import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LINK_NAME,
  linkDefinitionId,
  linkDefinitionSchema,
  linkNameSchema,
  storedLinkDefinitionSchema,
  withLinkId,
} from '../../lattice/link-definition.ts';
import { ACTOR, PROVIDER } from '../helpers/keys.ts';

// Computed once with:
//   printf '%s' 'MDXHCNXB2KM3BBRNU6LDCXLK2ZJ4MY7UU44ABF6MJWPQVXZM5CTMENVEwasmcloud:httpserverdefault' | sha256sum
// and upper-cased.
const HTTPSERVER_DEFAULT_ID = '689498D34C769907E6698EA9ACF17F0EB1A42C9DCD09429788BDF71E751F4626';
// Same, for '…wasmcloud:keyvaluecache'.
const KEYVALUE_CACHE_ID = '6AF507E8E69A95A53E31502E403DA715240EE426EA28E39FE7C598F1ACF9D288';

describe('linkDefinitionId', () => {
  it('matches the known vectors', () => {
    expect(linkDefinitionId(ACTOR, 'wasmcloud:httpserver', 'default')).toBe(HTTPSERVER_DEFAULT_ID);
    expect(linkDefinitionId(ACTOR, 'wasmcloud:keyvalue', 'cache')).toBe(KEYVALUE_CACHE_ID);
  });

  it('is 64 upper-case hex digits', () => {
    expect(linkDefinitionId('a', 'b', 'c')).toMatch(/^[0-9A-F]{64}$/);
  });

  it('depends on actor, contract and link name in that order', () => {
    const id = linkDefinitionId(ACTOR, 'wasmcloud:httpserver', 'default');
    expect(linkDefinitionId(ACTOR, 'wasmcloud:httpserver', 'other')).not.toBe(id);
    expect(linkDefinitionId(ACTOR, 'wasmcloud:keyvalue', 'default')).not.toBe(id);
    expect(linkDefinitionId('default', 'wasmcloud:httpserver', ACTOR)).not.toBe(id);
  });
});

describe('linkDefinitionSchema', () => {
  const sample = {
    actor_id: ACTOR,
    provider_id: PROVIDER,
    link_name: 'default',
    contract_id: 'wasmcloud:httpserver',
    values: { PORT: '8080' },
  };

  it('parses a complete link', () => {
    expect(linkDefinitionSchema.parse(sample)).toEqual(sample);
  });

  it('keeps unknown fields (OTP adds id and deleted)', () => {
    const parsed = linkDefinitionSchema.parse({ ...sample, id: 'x', deleted: false });
    expect(parsed.deleted).toBe(false);
    expect(parsed.id).toBe('x');
  });

  it('defaults link_name and values when absent or null', () => {
    const { link_name: _name, values: _values, ...bare } = sample;
    expect(linkDefinitionSchema.parse(bare)).toEqual({ ...bare, link_name: 'default', values: {} });
    expect(linkDefinitionSchema.parse({ ...bare, link_name: null, values: null })).toEqual({
      ...bare,
      link_name: 'default',
      values: {},
    });
  });

  it('gives each parse its own values object', () => {
    const { values: _values, ...bare } = sample;
    const first = linkDefinitionSchema.parse(bare);
    first.values.MUTATED = 'yes';
    expect(linkDefinitionSchema.parse(bare).values).toEqual({});
  });

  it('rejects missing or mistyped fields', () => {
    expect(linkDefinitionSchema.safeParse({ ...sample, actor_id: undefined }).success).toBe(false);
    expect(linkDefinitionSchema.safeParse({ ...sample, contract_id: '' }).success).toBe(false);
    expect(linkDefinitionSchema.safeParse({ ...sample, provider_id: 7 }).success).toBe(false);
    expect(linkDefinitionSchema.safeParse({ ...sample, values: { PORT: 8080 } }).success).toBe(false);
    expect(linkDefinitionSchema.safeParse({ ...sample, values: ['a'] }).success).toBe(false);
    expect(linkDefinitionSchema.safeParse('link').success).toBe(false);
  });
});

describe('linkNameSchema', () => {
  it('treats absent, null and empty as the default link name', () => {
    expect(DEFAULT_LINK_NAME).toBe('default');
    expect(linkNameSchema.parse(undefined)).toBe('default');
    expect(linkNameSchema.parse(null)).toBe('default');
    expect(linkNameSchema.parse('')).toBe('default');
    expect(linkNameSchema.parse('backup')).toBe('backup');
  });

  it('rejects names that would break a provider subject', () => {
    for (const bad of ['a.b', '*', '>', 'two words']) {
      const result = linkNameSchema.safeParse(bad);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toMatch(/may not contain/);
    }
    expect(linkNameSchema.safeParse(5).success).toBe(false);
  });
});

describe('stored link definitions', () => {
  it('adds the deterministic id', () => {
    const link = linkDefinitionSchema.parse({
      actor_id: ACTOR,
      provider_id: PROVIDER,
      contract_id: 'wasmcloud:httpserver',
    });
    const stored = withLinkId(link);
    expect(stored).toEqual({
      id: HTTPSERVER_DEFAULT_ID,
      actor_id: ACTOR,
      provider_id: PROVIDER,
      link_name: 'default',
      contract_id: 'wasmcloud:httpserver',
      values: {},
    });
    expect(storedLinkDefinitionSchema.parse(JSON.parse(JSON.stringify(stored)))).toEqual(stored);
  });

  it('replaces a stale id (OTP 0.57 used random UUIDs)', () => {
    const link = linkDefinitionSchema.parse({
      id: '0b7d8a2e-uuid',
      actor_id: ACTOR,
      provider_id: PROVIDER,
      contract_id: 'wasmcloud:keyvalue',
      link_name: 'cache',
    });
    expect(withLinkId(link).id).toBe(KEYVALUE_CACHE_ID);
  });

  it('requires the id in the stored form', () => {
    const result = storedLinkDefinitionSchema.safeParse({
      actor_id: ACTOR,
      provider_id: PROVIDER,
      contract_id: 'wasmcloud:httpserver',
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['id']);
  });
});
