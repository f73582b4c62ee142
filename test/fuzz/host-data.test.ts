// Fuzzing provider start-up data (lattice/host-data.ts): the base64 JSON line a provider reads on
// stdin, with its JSON edited (fields of the wrong type, removed, unknown, deep) before encoding,
// or its base64 text broken. The outcome is HostData or a DecodeError with a HOST_DATA_* code.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../lattice/errors.ts';
import { decodeHostDataLine } from '../../lattice/host-data.ts';
import { ACTOR, CLUSTER, HOST, PROVIDER } from '../helpers/keys.ts';
import { fuzzParameters, fuzzTimeout, outcomeOf } from './fuzz-settings.ts';
import { type Json, jsonTexts, mutatedText } from './mutations.ts';

const hostData: Json = {
  host_id: HOST,
  lattice_rpc_prefix: 'default',
  link_name: 'default',
  lattice_rpc_user_jwt: '',
  lattice_rpc_user_seed: '',
  lattice_rpc_url: '127.0.0.1:4222',
  lattice_rpc_tls: false,
  env_values: { PATH: '/usr/bin' },
  instance_id: '8b8a5d0e-0d1c-4f49-8a66-3a4a1d2c5e6f',
  provider_key: PROVIDER,
  link_definitions: [
    {
      actor_id: ACTOR,
      provider_id: PROVIDER,
      link_name: 'default',
      contract_id: 'wasmcloud:httpserver',
      values: { address: '0.0.0.0:8080' },
    },
  ],
  config_json: '{}',
  default_rpc_timeout_ms: 2000,
  cluster_issuers: [CLUSTER],
  invocation_seed: 'SC…',
  js_domain: null,
  log_level: 'INFO',
  structured_logging: false,
  enable_structured_logging: false,
  otel_config: { traces_exporter: 'otlp' },
};

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';

const line = fc.oneof(
  { weight: 6, arbitrary: jsonTexts(fc.constant(hostData)).map((text) => `${base64(text)}\n`) },
  { weight: 2, arbitrary: mutatedText(fc.constant(base64(JSON.stringify(hostData))), BASE64_ALPHABET) },
  // URL-safe alphabet, no padding: Node decodes both, so the provider must too.
  {
    weight: 1,
    arbitrary: jsonTexts(fc.constant(hostData)).map((text) => Buffer.from(text).toString('base64url')),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
);

describe('host data (fuzz)', () => {
  it('reads the intact line', () => {
    expect(decodeHostDataLine(`${base64(JSON.stringify(hostData))}\n`).link_name).toBe('default');
  });

  it(
    'decodes the stdin line to HostData or a HOST_DATA_* DecodeError',
    () => {
      fc.assert(
        fc.property(line, (text) => {
          const outcome = outcomeOf(() => decodeHostDataLine(text));
          if (!outcome.ok) {
            expect(outcome.error).toBeInstanceOf(DecodeError);
            expect(outcome.error.code).toMatch(/^HOST_DATA_/);
            return;
          }
          const data = outcome.value;
          expect(data.link_name.length).toBeGreaterThan(0);
          expect(Number.isInteger(data.default_rpc_timeout_ms)).toBe(true);
          expect(typeof data.lattice_rpc_tls).toBe('boolean');
          expect(typeof data.structured_logging).toBe('boolean');
          for (const link of data.link_definitions) expect(typeof link.values).toBe('object');
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );
});
