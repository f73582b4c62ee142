// The httpserver provider's link values → listener settings: defaults, the 2022 order with later
// sources winning, case-insensitive keys, and a specific error for each kind of bad value.

import { describe, expect, test } from 'vitest';
import {
  DEFAULT_MAX_CONTENT_LEN,
  HttpServerSettingsError,
  loadSettings,
  parseAddress,
  parseContentLength,
} from '../../lattice/httpserver/settings.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
const files = (byPath: Record<string, string>) => ({
  readFile: (path: string) => {
    const text = byPath[path];
    if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    return text;
  },
});

describe('defaults', () => {
  test('no values: 127.0.0.1:8000, 16 MiB bodies, the 2022 CORS defaults, no TLS, host timeout', () => {
    expect(loadSettings({})).toEqual({
      settings: {
        address: { host: '127.0.0.1', port: 8000 },
        timeoutMs: undefined,
        maxContentLen: 16 * 1024 * 1024,
        cors: {
          allowedOrigins: [],
          allowedHeaders: ['accept', 'accept-language', 'content-type', 'content-language'],
          allowedMethods: ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'],
          exposedHeaders: [],
          maxAgeSecs: 300,
        },
        tls: undefined,
      },
      warnings: [],
    });
    expect(DEFAULT_MAX_CONTENT_LEN).toBe(16 * 1024 * 1024);
  });
});

describe('sources and their order', () => {
  test('PORT binds 127.0.0.1; ADDRESS takes any IP; keys in any case', () => {
    expect(loadSettings({ PORT: '8080' }).settings.address).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(loadSettings({ Address: '0.0.0.0:9000' }).settings.address).toEqual({
      host: '0.0.0.0',
      port: 9000,
    });
    expect(loadSettings({ address: '[::1]:9001' }).settings.address).toEqual({ host: '::1', port: 9001 });
    expect(loadSettings({ address: 'localhost:9002' }).settings.address).toEqual({
      host: 'localhost',
      port: 9002,
    });
  });

  test('config_file < config_b64 < config_json < address < port, field by field', () => {
    const values = {
      config_file: '/etc/http.json',
      config_b64: b64({ address: '127.0.0.2:2000', timeout_ms: 50, cors: { max_age_secs: 1 } }),
      config_json: JSON.stringify({ address: '127.0.0.3:3000', cors: { allowed_methods: ['get'] } }),
    };
    const file = {
      address: '127.0.0.1:1000',
      timeout_ms: 10,
      cors: { allowed_origins: ['https://a.example'] },
    };
    const { settings } = loadSettings(values, files({ '/etc/http.json': JSON.stringify(file) }));
    expect(settings.address).toEqual({ host: '127.0.0.3', port: 3000 });
    expect(settings.timeoutMs).toBe(50);
    expect(settings.cors).toMatchObject({
      allowedOrigins: ['https://a.example'],
      allowedMethods: ['GET'],
      maxAgeSecs: 1,
    });
    expect(
      loadSettings({ ...values, ADDRESS: '10.0.0.1:4000' }, files({ '/etc/http.json': '{}' })).settings
        .address,
    ).toEqual({ host: '10.0.0.1', port: 4000 });
    expect(
      loadSettings({ ...values, ADDRESS: '10.0.0.1:4000', port: '5000' }, files({ '/etc/http.json': '{}' }))
        .settings.address,
    ).toEqual({ host: '127.0.0.1', port: 5000 });
  });

  test('config_b64 with or without padding; TLS from JSON; max_content_len from JSON or a value', () => {
    const tls = { tls: { cert_file: '/c.pem', priv_key_file: '/k.pem' }, max_content_len: '2m' };
    const padded = b64(tls);
    expect(loadSettings({ config_b64: padded }).settings.tls).toEqual({
      certFile: '/c.pem',
      privKeyFile: '/k.pem',
    });
    expect(loadSettings({ config_b64: padded.replace(/=+$/, '') }).settings.maxContentLen).toBe(
      2 * 1024 * 1024,
    );
    expect(loadSettings({ config_b64: padded, MAX_CONTENT_LEN: '512' }).settings.maxContentLen).toBe(512);
  });

  test('unknown JSON settings and `log` are warnings, not refusals', () => {
    const { warnings } = loadSettings({ config_json: '{"adress":"1.2.3.4:5","log":{"level":"debug"}}' });
    expect(warnings).toEqual([
      "config_json: unknown setting 'adress' ignored",
      "config_json: 'log' is ignored (providers log at the host's log level)",
    ]);
  });
});

describe('bad values are refused with what is wrong', () => {
  const refused = (values: Record<string, string>, message: RegExp, options = {}) => {
    expect(() => loadSettings(values, options)).toThrow(HttpServerSettingsError);
    expect(() => loadSettings(values, options)).toThrow(message);
  };

  test('addresses and ports', () => {
    refused({ address: '8080' }, /invalid address '8080': expected ip:port/);
    refused({ address: 'example.com:80' }, /'example.com' is not an IP address/);
    refused({ address: '[not-v6]:80' }, /'not-v6' is not an IP address/);
    refused({ address: '127.0.0.1:70000' }, /port 70000 is outside 1–65535/);
    refused({ address: '127.0.0.1:0' }, /port 0 is outside 1–65535/);
    refused({ port: 'http' }, /invalid port: 'http' is not a port number/);
    refused({ config_json: '{"address":"nowhere"}' }, /^config_json: invalid address 'nowhere'/);
  });

  test('the same key twice in different cases', () => {
    refused({ port: '1', PORT: '2' }, /link values name 'port' twice \('port' and 'PORT'\)/);
  });

  test('config documents', () => {
    refused({ config_json: '{oops' }, /config_json is not valid JSON/);
    refused({ config_json: '[1]' }, /config_json must be a JSON object/);
    refused({ config_json: '{"timeout_ms":"soon"}' }, /config_json: timeout_ms: /);
    refused({ config_json: '{"timeout_ms":0}' }, /config_json: timeout_ms: /);
    refused({ config_json: '{"cors":{"max_age_secs":-1}}' }, /config_json: cors.max_age_secs: /);
    refused(
      { config_json: '{"cors":{"allowed_origins":["example.com"]}}' },
      /'example.com' is not an origin/,
    );
    refused({ config_json: '{"cors":{"allowed_origins":["https://a.example/path"]}}' }, /is not an origin/);
    refused({ config_json: '{"cors":{"allowed_methods":["GE T"]}}' }, /not a valid HTTP method/);
    refused({ config_json: '{"cors":{"allowed_headers":["a:b"]}}' }, /not a valid header name/);
    refused({ config_b64: 'not base64!' }, /config_b64 is not valid base64/);
    refused({ config_file: '/etc/http.toml' }, /must be a \.json file \(TOML is not supported/);
    refused(
      { config_file: '/missing.json' },
      /config_file '\/missing.json' cannot be read: ENOENT/,
      files({}),
    );
    refused(
      { config_file: '/bad.json' },
      /config_file '\/bad.json' is not valid JSON/,
      files({ '/bad.json': '{' }),
    );
  });

  test('TLS needs both files', () => {
    refused(
      { config_json: '{"tls":{"cert_file":"/c.pem"}}' },
      /both 'tls.cert_file' and 'tls.priv_key_file'/,
    );
  });

  test('max_content_len', () => {
    expect(parseContentLength('10')).toBe(10);
    expect(parseContentLength('3K')).toBe(3072);
    expect(parseContentLength(4096)).toBe(4096);
    expect(parseContentLength('1g')).toBe(1024 ** 3);
    expect(() => parseContentLength('2g')).toThrow(/may not exceed 1g/);
    expect(() => parseContentLength('0')).toThrow(/at least 1 byte/);
    expect(() => parseContentLength('12 MB')).toThrow(/expected a number of bytes/);
    refused({ max_content_len: 'lots' }, /invalid max_content_len 'lots'/);
  });

  test('parseAddress keeps IPv6 hosts bare', () => {
    expect(parseAddress('[::]:8080')).toEqual({ host: '::', port: 8080 });
  });
});
