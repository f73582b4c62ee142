// Fuzzing link definitions and the link values each provider reads from them: the link schema
// (lattice/link-definition.ts) as JSON and as the msgpack the host sends providers
// (providers/sdk/link-message.ts), and the settings of the httpserver, messaging, keyvalue and
// kubernetes-applier providers. Values are the provider's own keys in any case, with JSON,
// base64 and YAML documents edited field by field. The outcome is settings or the provider's
// coded settings error, never another exception.

import fc from 'fast-check';
import { dump as dumpYaml } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../lattice/errors.ts';
import { HttpServerSettingsError, loadSettings } from '../../lattice/httpserver/settings.ts';
import { validateMessage } from '../../lattice/json-message.ts';
import { KeyvalueLinkSettingsError, keyValueLinkSettings } from '../../lattice/keyvalue/link-settings.ts';
import { linkDefinitionSchema } from '../../lattice/link-definition.ts';
import { MessagingLinkSettingsError, messagingLinkSettings } from '../../lattice/messaging/link-settings.ts';
import { encodePayload } from '../../lattice/payload.ts';
import { KubeConfigError, loadKubeConfig } from '../../providers/kubernetes-applier/kubeconfig-source.ts';
import { decodeLinkMessage } from '../../providers/sdk/link-message.ts';
import { ACTOR, PROVIDER } from '../helpers/keys.ts';
import { fuzzParameters, fuzzTimeout, outcomeOf, resultOf } from './fuzz-settings.ts';
import { type Json, jsonTexts, mutatedBytes, mutatedJson, mutatedText } from './mutations.ts';

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Link values: some of `keys` (in any case) with values from `value`, plus stray keys. */
function linkValues(
  keys: readonly string[],
  value: fc.Arbitrary<string>,
): fc.Arbitrary<Record<string, string>> {
  const key = fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(fc.constantFrom(...keys), fc.boolean())
        .map(([k, upper]) => (upper ? k.toUpperCase() : k)),
    },
    { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', '', 'log') },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
  );
  return fc.array(fc.tuple(key, value), { maxLength: 5 }).map((entries) => {
    const values: Record<string, string> = {};
    for (const [k, v] of entries)
      Object.defineProperty(values, k, { value: v, enumerable: true, writable: true, configurable: true });
    return values;
  });
}

// ---- link definitions ----

const link: Json = {
  actor_id: ACTOR,
  provider_id: PROVIDER,
  link_name: 'default',
  contract_id: 'wasmcloud:httpserver',
  values: { address: '0.0.0.0:8080', PORT: '8080' },
};

describe('link definitions (fuzz)', () => {
  it(
    'validates a link definition as JSON to a link or a readable refusal',
    () => {
      fc.assert(
        fc.property(mutatedJson(fc.constant(link)), (value) => {
          const result = resultOf(() => validateMessage(linkDefinitionSchema, value));
          if (!result.ok) {
            expect(result.error.length).toBeGreaterThan(0);
            return;
          }
          expect(result.value.link_name.length).toBeGreaterThan(0);
          for (const v of Object.values(result.value.values)) expect(typeof v).toBe('string');
        }),
        fuzzParameters(0.5),
      );
    },
    fuzzTimeout(),
  );

  it(
    'decodes the msgpack link message to a link or a DecodeError',
    () => {
      const messages = fc.oneof(
        mutatedJson(fc.constant(link)).map((value) => Uint8Array.from(encodePayload(value))),
        mutatedBytes(fc.constant(Uint8Array.from(encodePayload(link)))),
      );
      fc.assert(
        fc.property(messages, (bytes) => {
          const outcome = outcomeOf(() => decodeLinkMessage(bytes));
          if (!outcome.ok) expect(outcome.error).toBeInstanceOf(DecodeError);
          else
            expect(Object.keys(outcome.value).sort()).toEqual([
              'actor_id',
              'contract_id',
              'link_name',
              'provider_id',
              'values',
            ]);
        }),
        fuzzParameters(0.5),
      );
    },
    fuzzTimeout(),
  );
});

// ---- httpserver ----

const httpDocument: Json = {
  address: '127.0.0.1:8080',
  timeout_ms: 2000,
  max_content_len: '16m',
  cors: {
    allowed_origins: ['https://example.com'],
    allowed_headers: ['content-type'],
    allowed_methods: ['GET'],
    exposed_headers: [],
    max_age_secs: 300,
  },
  tls: { cert_file: '/c.pem', priv_key_file: '/k.pem' },
  log: 'info',
};

const httpValue = fc.oneof(
  jsonTexts(fc.constant(httpDocument)),
  jsonTexts(fc.constant(httpDocument)).map(base64),
  mutatedText(
    fc.constantFrom('127.0.0.1:8080', '[::1]:80', 'localhost:1', '8080', '16m', '1g', '0'),
    '0123456789.:[]kmg',
  ),
  fc.string({ maxLength: 20 }),
);

describe('httpserver link values (fuzz)', () => {
  it(
    'loads listener settings or throws HttpServerSettingsError',
    () => {
      const values = linkValues(
        ['config_json', 'config_b64', 'config_file', 'address', 'port', 'max_content_len'],
        httpValue,
      );
      fc.assert(
        fc.property(values, jsonTexts(fc.constant(httpDocument)), (linkValuesGiven, fileText) => {
          // config_file is read through this stub: the fuzzer never touches the file system.
          const outcome = outcomeOf(
            () => loadSettings(linkValuesGiven, { readFile: () => fileText }),
            [HttpServerSettingsError],
          );
          if (!outcome.ok) return;
          const { settings } = outcome.value;
          expect(settings.address.port).toBeGreaterThanOrEqual(1);
          expect(settings.address.port).toBeLessThanOrEqual(65_535);
          expect(settings.maxContentLen).toBeGreaterThanOrEqual(1);
        }),
        fuzzParameters(0.5),
      );
    },
    fuzzTimeout(),
  );
});

// ---- messaging ----

const natsConfig: Json = {
  subscriptions: ['demo.>', 'work|workers'],
  cluster_uris: ['127.0.0.1:4222'],
  auth_jwt: 'eyJ…',
  auth_seed: 'SU…',
  ping_interval_sec: 10,
};

describe('messaging link values (fuzz)', () => {
  it(
    'reads connection settings or throws its settings error',
    () => {
      const value = fc.oneof(
        jsonTexts(fc.constant(natsConfig)),
        jsonTexts(fc.constant(natsConfig)).map(base64),
        mutatedText(
          fc.constantFrom('demo.>,a.*.b|q', 'nats://127.0.0.1:4222,127.0.0.1:4223', 'a|b|c'),
          '.*>|, ',
        ),
        fc.string({ maxLength: 20 }),
      );
      const values = linkValues(
        ['config_b64', 'config_json', 'SUBSCRIPTION', 'URI', 'CLIENT_JWT', 'CLIENT_SEED'],
        value,
      );
      fc.assert(
        fc.property(values, (given) => {
          const outcome = outcomeOf(() => messagingLinkSettings(given), [MessagingLinkSettingsError]);
          if (!outcome.ok) return;
          if (outcome.value.servers !== undefined) expect(outcome.value.servers.length).toBeGreaterThan(0);
          expect((outcome.value.jwt === undefined) === (outcome.value.seed === undefined)).toBe(true);
        }),
        fuzzParameters(0.5),
      );
    },
    fuzzTimeout(),
  );
});

// ---- keyvalue ----

describe('keyvalue link values (fuzz)', () => {
  it(
    'reads bucket settings or throws its settings error',
    () => {
      const value = fc.oneof(
        mutatedText(fc.constantFrom('counters', 'nats://127.0.0.1:4222,127.0.0.1:4223', 'hub'), '_-,: '),
        fc.string({ maxLength: 20 }),
      );
      const values = linkValues(['BUCKET', 'URI', 'CLIENT_JWT', 'CLIENT_SEED', 'JS_DOMAIN'], value);
      fc.assert(
        fc.property(values, (given) => {
          const outcome = outcomeOf(() => keyValueLinkSettings(ACTOR, given), [KeyvalueLinkSettingsError]);
          if (!outcome.ok) return;
          expect(outcome.value.bucket).toMatch(/^[A-Za-z0-9_-]+$/);
        }),
        fuzzParameters(0.5),
      );
    },
    fuzzTimeout(),
  );
});

// ---- kubernetes-applier ----

const kubeconfig: Json = {
  apiVersion: 'v1',
  kind: 'Config',
  'current-context': 'ctx',
  clusters: [
    { name: 'c', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': 'AAAA' } },
  ],
  users: [{ name: 'u', user: { token: 'secret' } }],
  contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'apps' } }],
};

/** YAML of an edited kubeconfig; values too deep for the YAML writer fall back to JSON (also YAML). */
function yamlText(value: Json): string {
  try {
    // Flow style below the top levels: block style indents a 1,000-deep value into megabytes.
    return dumpYaml(value, { flowLevel: 3 });
  } catch {
    return JSON.stringify(value) ?? '';
  }
}

describe('kubernetes-applier link values (fuzz)', () => {
  // No service account and no kubeconfig to infer from: only the link's values count.
  const environment = {
    serviceAccountDir: '/nonexistent/fuzz/sa',
    homeDir: '/nonexistent/fuzz/home',
    env: {},
  };

  it(
    'loads a kubeconfig from config_b64 or throws KubeConfigError',
    () => {
      const config = fc.oneof(
        {
          weight: 5,
          arbitrary: mutatedJson(fc.constant(kubeconfig)).map((value) => base64(yamlText(value))),
        },
        { weight: 1, arbitrary: fc.constant(base64(yamlText(kubeconfig))) },
        {
          weight: 2,
          arbitrary: mutatedText(fc.constant(base64(yamlText(kubeconfig))), 'ABCDEFabcdef0123+/='),
        },
        { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map(base64) },
      );
      fc.assert(
        fc.property(config, fc.boolean(), (configB64, upper) => {
          // config_file would read the machine's files: only config_b64 is fuzzed.
          const values = { [upper ? 'CONFIG_B64' : 'config_b64']: configB64 };
          const outcome = outcomeOf(() => loadKubeConfig(values, environment), [KubeConfigError]);
          if (!outcome.ok) return;
          expect(outcome.value.source).toBe('config_b64');
          expect(() => new URL(outcome.value.server)).not.toThrow();
        }),
        fuzzParameters(0.5),
      );
    },
    fuzzTimeout(),
  );
});
