// The controller's settings: defaults, a flag winning over its variable, TLS from a CA file or the
// switch, and every bad value named by where it came from.

import { describe, expect, it } from 'vitest';
import { ControllerConfigError, resolveControllerConfig } from '../../controller/config.ts';
import { ControllerError } from '../../controller/errors.ts';

describe('resolveControllerConfig', () => {
  it('defaults to the local NATS, lattice "default", info logging and a generated replica id', () => {
    const config = resolveControllerConfig({}, {});
    expect(config).toMatchObject({
      latticePrefix: 'default',
      jsDomain: undefined,
      jsReplicas: undefined,
      logLevel: 'info',
      structuredLogging: false,
      nats: { url: '127.0.0.1:4222', tls: false, reconnect: true },
    });
    expect(config.replicaId).toMatch(/^\S+-[a-z0-9]{1,6}$/);
    expect(config.nats.name).toBe(`wadm controller ${config.replicaId}`);
  });

  it('reads the WASMCLOUD_* variables, and a flag wins over its variable', () => {
    const seed = `SU${'A'.repeat(56)}`;
    const config = resolveControllerConfig(
      { ctlHost: 'nats.internal', latticePrefix: 'flagged' },
      {
        WASMCLOUD_CTL_HOST: 'ignored',
        WASMCLOUD_CTL_PORT: '4333',
        WASMCLOUD_CTL_JWT: 'eyJ.jwt',
        WASMCLOUD_CTL_SEED: seed,
        WASMCLOUD_LATTICE_PREFIX: 'from-env',
        WASMCLOUD_JS_DOMAIN: 'edge',
        WASMCLOUD_JS_REPLICAS: '3',
        WASMCLOUD_CONTROLLER_REPLICA_ID: 'wadm-0',
        WASMCLOUD_LOG_LEVEL: 'DEBUG',
        WASMCLOUD_STRUCTURED_LOGGING_ENABLED: 'yes',
        WASMCLOUD_CTL_TLS: 'true',
      },
    );
    expect(config).toMatchObject({
      latticePrefix: 'flagged',
      jsDomain: 'edge',
      jsReplicas: 3,
      replicaId: 'wadm-0',
      logLevel: 'debug',
      structuredLogging: true,
      nats: { url: 'nats.internal:4333', jwt: 'eyJ.jwt', seed, tls: true },
    });
  });

  it('a TLS CA file turns TLS on with that CA; an empty variable counts as unset', () => {
    const config = resolveControllerConfig({}, { WASMCLOUD_TLS_CA_FILE: '/ca.pem', WASMCLOUD_CTL_PORT: '' });
    expect(config.nats).toMatchObject({ url: '127.0.0.1:4222', tls: { caFile: '/ca.pem' } });
  });

  it('names every bad value by its flag or variable, without echoing secrets', () => {
    let error: unknown;
    try {
      resolveControllerConfig(
        { ctlPort: '0', replicaId: 'has space' },
        { WASMCLOUD_CTL_SEED: 'not-a-seed', WASMCLOUD_CTL_TLS: 'maybe', WASMCLOUD_JS_DOMAIN: 'a.b' },
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ControllerConfigError);
    expect(error).toBeInstanceOf(ControllerError);
    expect(error).toMatchObject({ code: 'CONTROLLER_CONFIG_INVALID' });
    const message = (error as ControllerConfigError).message;
    expect(message).toBe(
      'invalid controller settings: --ctl-port: expected a port from 1 to 65535; ' +
        'WASMCLOUD_CTL_SEED: expected an nkey seed (58 characters, starting with S); ' +
        'WASMCLOUD_CTL_TLS: expected true or false; ' +
        "WASMCLOUD_JS_DOMAIN: expected a name without '.', '*', '>' or spaces; " +
        '--replica-id: expected 1 to 128 printable characters without spaces',
    );
    expect(message).not.toContain('not-a-seed');
  });
});
