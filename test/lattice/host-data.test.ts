import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../lattice/errors.ts';
import {
  decodeHostDataLine,
  encodeHostDataLine,
  type HostData,
  hostDataSchema,
} from '../../lattice/host-data.ts';
import { ACTOR, CLUSTER, HOST, PROVIDER } from '../helpers/keys.ts';

const CLUSTER_SEED = 'SCAPLACEHOLDERSEEDVALUEFORTESTSONLYNOTAREALSEEDATALLXXXXXX';

const LINK = {
  actor_id: ACTOR,
  provider_id: PROVIDER,
  link_name: 'default',
  contract_id: 'wasmcloud:httpserver',
  values: { PORT: '8080' },
};

// The OTP 0.57 sample of protocol.md §6.1, with its placeholders filled in.
const OTP57_SAMPLE =
  `{"host_id":"N…","lattice_rpc_prefix":"default","link_name":"default","lattice_rpc_user_jwt":"",
 "lattice_rpc_user_seed":"","lattice_rpc_url":"127.0.0.1:4222","lattice_rpc_tls":0,"env_values":{},
 "instance_id":"uuid","provider_key":"V…","link_definitions":[{…}],"config_json":"<from lp 'configuration'>",
 "default_rpc_timeout_ms":2000,"cluster_issuers":["C…"],"invocation_seed":"SC…","enable_structured_logging":false}`
    .replace('"N…"', JSON.stringify(HOST))
    .replace('"V…"', JSON.stringify(PROVIDER))
    .replace('"C…"', JSON.stringify(CLUSTER))
    .replace('"SC…"', JSON.stringify(CLUSTER_SEED))
    .replace('{…}', JSON.stringify(LINK));

const toLine = (value: unknown) =>
  `${Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64')}\n`;

function decodeError(line: string): DecodeError {
  try {
    decodeHostDataLine(line);
  } catch (error) {
    if (error instanceof DecodeError) return error;
    throw error;
  }
  throw new Error('expected decodeHostDataLine to throw');
}

const minimal = {
  host_id: HOST,
  lattice_rpc_prefix: 'default',
  lattice_rpc_url: '127.0.0.1:4222',
  instance_id: 'c4b3f1f2-uuid',
  provider_key: PROVIDER,
};

describe('decodeHostDataLine', () => {
  it('decodes the OTP 0.57 sample', () => {
    const data = decodeHostDataLine(toLine(OTP57_SAMPLE));
    expect(data).toEqual({
      host_id: HOST,
      lattice_rpc_prefix: 'default',
      link_name: 'default',
      lattice_rpc_user_jwt: '',
      lattice_rpc_user_seed: '',
      lattice_rpc_url: '127.0.0.1:4222',
      lattice_rpc_tls: false,
      env_values: {},
      instance_id: 'uuid',
      provider_key: PROVIDER,
      link_definitions: [LINK],
      config_json: "<from lp 'configuration'>",
      default_rpc_timeout_ms: 2000,
      cluster_issuers: [CLUSTER],
      invocation_seed: CLUSTER_SEED,
      structured_logging: false,
    });
    expect('enable_structured_logging' in data).toBe(false);
  });

  it('reads the logging flag under either name', () => {
    expect(
      decodeHostDataLine(toLine({ ...minimal, enable_structured_logging: true })).structured_logging,
    ).toBe(true);
    expect(decodeHostDataLine(toLine({ ...minimal, structured_logging: true })).structured_logging).toBe(
      true,
    );
    expect(decodeHostDataLine(toLine(minimal)).structured_logging).toBe(false);
    // OTP 0.63 sends the newer name; if a host sends both, the newer one wins.
    expect(
      decodeHostDataLine(toLine({ ...minimal, structured_logging: false, enable_structured_logging: true }))
        .structured_logging,
    ).toBe(false);
  });

  it('decodes the OTP 0.63 fields', () => {
    const data = decodeHostDataLine(
      toLine({
        ...minimal,
        structured_logging: true,
        log_level: 'debug',
        js_domain: 'hub',
        lattice_rpc_tls: true,
      }),
    );
    expect(data.log_level).toBe('debug');
    expect(data.js_domain).toBe('hub');
    expect(data.lattice_rpc_tls).toBe(true);
  });

  it('decodes the 1.x fields (config map, otel_config, upper-case level)', () => {
    const data = decodeHostDataLine(
      toLine({
        ...minimal,
        provider_key: 'http-server',
        config: { address: '0.0.0.0:8080' },
        otel_config: { enable_observability: false, traces_exporter: null },
        log_level: 'INFO',
        cluster_issuers: [],
      }),
    );
    expect(data.config).toEqual({ address: '0.0.0.0:8080' });
    expect(data.otel_config).toEqual({ enable_observability: false, traces_exporter: null });
    expect(data.log_level).toBe('info');
    expect(data.provider_key).toBe('http-server');
  });

  it('fills defaults for missing optional fields and accepts nulls', () => {
    const data = decodeHostDataLine(
      toLine({ ...minimal, config_json: null, js_domain: null, link_name: null }),
    );
    expect(data).toEqual({
      ...minimal,
      link_name: 'default',
      lattice_rpc_user_jwt: '',
      lattice_rpc_user_seed: '',
      lattice_rpc_tls: false,
      env_values: {},
      link_definitions: [],
      default_rpc_timeout_ms: 2000,
      cluster_issuers: [],
      structured_logging: false,
    });
    expect(data.config_json).toBeUndefined();
    expect(data.invocation_seed).toBeUndefined();
  });

  it('keeps unknown fields at run time', () => {
    const data: Record<string, unknown> = decodeHostDataLine(toLine({ ...minimal, future_flag: 1 }));
    expect(data.future_flag).toBe(1);
  });

  it('accepts surrounding whitespace, CRLF, URL-safe base64 and missing padding', () => {
    const json = JSON.stringify({ ...minimal, env_values: { K: '???>>>' } });
    const standard = Buffer.from(json).toString('base64');
    expect(standard).toMatch(/[+/]/); // the value is chosen so the two alphabets differ
    const expected = decodeHostDataLine(standard);
    expect(decodeHostDataLine(`  ${standard}\r\n`)).toEqual(expected);
    expect(decodeHostDataLine(Buffer.from(json).toString('base64url'))).toEqual(expected);
    expect(decodeHostDataLine(standard.replace(/=+$/, ''))).toEqual(expected);
  });

  it('rejects empty input', () => {
    for (const line of ['', '\n', '   \r\n']) {
      const error = decodeError(line);
      expect(error.code).toBe('HOST_DATA_EMPTY');
      expect(error.message).toBe('host data is empty: expected one line of base64-encoded JSON on stdin');
    }
  });

  it('rejects text that is not base64', () => {
    for (const line of ['{"host_id":"N"}', 'not base64!', 'abcde', 'ab=c', 'YW==Jj']) {
      const error = decodeError(line);
      expect(error.code).toBe('HOST_DATA_NOT_BASE64');
      expect(error.message).toBe('host data is not base64: expected one line of base64-encoded JSON');
    }
  });

  it('rejects base64 of something that is not JSON', () => {
    const error = decodeError(toLine('hello world'));
    expect(error.code).toBe('HOST_DATA_NOT_JSON');
    expect(error.message).toMatch(/^decoded host data is not valid JSON: /);
    expect(decodeError(Buffer.from([0xff, 0xfe, 0x7b]).toString('base64')).message).toBe(
      'decoded host data is not valid JSON: it is not UTF-8 text',
    );
  });

  it('rejects JSON that is not an object', () => {
    const error = decodeError(toLine([minimal]));
    expect(error.code).toBe('HOST_DATA_INVALID');
    expect(error.message).toBe('invalid host data: expected an object, got a list');
  });

  it('names a missing required field', () => {
    const { provider_key: _key, ...withoutKey } = minimal;
    const error = decodeError(toLine(withoutKey));
    expect(error.code).toBe('HOST_DATA_INVALID');
    expect(error.message).toBe('invalid host data: provider_key: missing (expected a string)');
    expect(error).toBeInstanceOf(DecodeError);
  });

  it('names each invalid field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ host_id: 5 }, 'host_id: expected a string, got a number'],
      [{ lattice_rpc_url: '' }, 'lattice_rpc_url: must not be empty'],
      [{ lattice_rpc_tls: 'yes' }, 'lattice_rpc_tls: expected true, false, 0 or 1'],
      [{ lattice_rpc_tls: 2 }, 'lattice_rpc_tls: expected true, false, 0 or 1'],
      [{ env_values: { A: 1 } }, 'env_values.A: expected a string, got a number'],
      [
        { link_definitions: [{ actor_id: ACTOR, contract_id: 'wasmcloud:httpserver' }] },
        'link_definitions[0].provider_id: missing (expected a string)',
      ],
      [{ default_rpc_timeout_ms: 0 }, 'default_rpc_timeout_ms: must be at least 1'],
      [{ cluster_issuers: CLUSTER }, 'cluster_issuers: expected a list, got a string'],
      [{ log_level: 'loud' }, 'log_level: expected one of trace, debug, info, warn, error, critical'],
      [{ structured_logging: 'true' }, 'structured_logging: expected true or false, got a string'],
      [{ enable_structured_logging: 1 }, 'enable_structured_logging: expected true or false, got a number'],
      [{ config: { a: true } }, 'config.a: expected a string, got true'],
      [{ link_name: 'a.b' }, "link_name: a link name may not contain '.', '*', '>' or whitespace"],
    ];
    for (const [change, problem] of cases) {
      expect(decodeError(toLine({ ...minimal, ...change })).message).toBe(`invalid host data: ${problem}`);
    }
  });

  it('never puts the seeds into an error message', () => {
    const error = decodeError(
      toLine({ ...minimal, invocation_seed: CLUSTER_SEED, lattice_rpc_user_seed: CLUSTER_SEED, host_id: 1 }),
    );
    expect(error.message).not.toContain(CLUSTER_SEED);
    const syntax = decodeError(toLine(`{"invocation_seed":"${CLUSTER_SEED}"`));
    expect(syntax.message).not.toContain(CLUSTER_SEED);
    const garbage = decodeError(toLine(`${CLUSTER_SEED} trailing`));
    expect(garbage.message).not.toContain(CLUSTER_SEED);
  });
});

describe('encodeHostDataLine', () => {
  const data: HostData = hostDataSchema.parse({
    ...minimal,
    link_definitions: [LINK],
    structured_logging: true,
    log_level: 'warn',
    config_json: 'eyJhIjoxfQ==',
    cluster_issuers: [CLUSTER],
    invocation_seed: CLUSTER_SEED,
  });

  it('writes one line of standard base64 ending in a newline', () => {
    const line = encodeHostDataLine(data);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(line.slice(0, -1)).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
  });

  it('writes both spellings of the logging flag', () => {
    const json = JSON.parse(Buffer.from(encodeHostDataLine(data).trim(), 'base64').toString('utf8'));
    expect(json.structured_logging).toBe(true);
    expect(json.enable_structured_logging).toBe(true);
    const quiet = hostDataSchema.parse(minimal);
    const quietJson = JSON.parse(Buffer.from(encodeHostDataLine(quiet), 'base64').toString('utf8'));
    expect(quietJson.structured_logging).toBe(false);
    expect(quietJson.enable_structured_logging).toBe(false);
  });

  it('writes the fields a 2022 provider reads', () => {
    const json = JSON.parse(Buffer.from(encodeHostDataLine(data), 'base64').toString('utf8'));
    expect(json).toMatchObject({
      host_id: HOST,
      lattice_rpc_prefix: 'default',
      link_name: 'default',
      lattice_rpc_url: '127.0.0.1:4222',
      lattice_rpc_tls: false,
      provider_key: PROVIDER,
      link_definitions: [LINK],
      config_json: 'eyJhIjoxfQ==',
      default_rpc_timeout_ms: 2000,
      cluster_issuers: [CLUSTER],
      invocation_seed: CLUSTER_SEED,
      log_level: 'warn',
    });
  });

  it('round-trips through decodeHostDataLine', () => {
    expect(decodeHostDataLine(encodeHostDataLine(data))).toEqual(data);
    const quiet = hostDataSchema.parse(minimal);
    expect(decodeHostDataLine(encodeHostDataLine(quiet))).toEqual(quiet);
  });
});
