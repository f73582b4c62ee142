// The dashboard's two host settings: where it listens by default (127.0.0.1:4000), port 0 and
// `off`, and each bad value refused naming its variable and flag.

import { describe, expect, test } from 'vitest';
import { HostConfigError, resolveHostConfig, settingsFromEnv } from '../../host/config.ts';

describe('dashboard settings', () => {
  test('by default the dashboard listens on 127.0.0.1:4000', () => {
    expect(resolveHostConfig({}, {}).dashboard).toEqual({ host: '127.0.0.1', port: 4000 });
  });

  test('WASMCLOUD_DASHBOARD_PORT and WASMCLOUD_DASHBOARD_HOST are read; 0 means any free port', () => {
    const env = { WASMCLOUD_DASHBOARD_PORT: '4100', WASMCLOUD_DASHBOARD_HOST: '0.0.0.0' };
    expect(resolveHostConfig(settingsFromEnv(env), {}).dashboard).toEqual({ host: '0.0.0.0', port: 4100 });
    expect(resolveHostConfig({ dashboardPort: '0' }, {}).dashboard).toEqual({ host: '127.0.0.1', port: 0 });
  });

  test.each(['off', 'OFF', ' off '])('%j turns the dashboard off', (value) => {
    expect(resolveHostConfig({ dashboardPort: value }, {}).dashboard).toBeUndefined();
  });

  test.each([
    [
      { dashboardPort: 'four' },
      'WASMCLOUD_DASHBOARD_PORT (--dashboard-port): expected a port from 0 to 65535, or off',
    ],
    [
      { dashboardPort: '70000' },
      'WASMCLOUD_DASHBOARD_PORT (--dashboard-port): expected a port from 0 to 65535, or off',
    ],
    [
      { dashboardPort: '-1' },
      'WASMCLOUD_DASHBOARD_PORT (--dashboard-port): expected a port from 0 to 65535, or off',
    ],
    [
      { dashboardHost: 'my host' },
      'WASMCLOUD_DASHBOARD_HOST (--dashboard-host): expected an IP address or a host name, such as 127.0.0.1 or 0.0.0.0',
    ],
    [
      { dashboardHost: 'http://x/' },
      'WASMCLOUD_DASHBOARD_HOST (--dashboard-host): expected an IP address or a host name, such as 127.0.0.1 or 0.0.0.0',
    ],
  ])('%o is refused, naming the variable and the flag', (raw, message) => {
    expect(() => resolveHostConfig(raw, {})).toThrow(HostConfigError);
    expect(() => resolveHostConfig(raw, {})).toThrow(`invalid host configuration: ${message}`);
  });
});
