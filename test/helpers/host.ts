// Starts real hosts in the test process against a test nats-server: settings as the host process
// would read them, log lines kept in memory (shown when a test fails), one worker each. Each host
// gets an artifact cache folder of its own (removed when the test process exits) unless a test
// gives one: layers cached by an earlier run or another test would hide the pulls a test counts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostLabels, type RawSettings, resolveHostConfig } from '../../host/config.ts';
import { Host } from '../../host/host.ts';
import { createLogger } from '../../lattice/log.ts';

export interface TestHost {
  host: Host;
  id: string;
  logs: string[];
}

export interface TestHostOptions {
  natsUrl: string;
  /** More settings (lattice prefix, cluster seed, …) by their HostConfig names. */
  settings?: RawSettings;
  labels?: Record<string, string>;
  providerHealthIntervalMs?: number;
}

const artifactCaches: string[] = [];
process.on('exit', () => {
  for (const dir of artifactCaches) rmSync(dir, { recursive: true, force: true });
});

function freshArtifactCache(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-test-artifacts-'));
  artifactCaches.push(dir);
  return dir;
}

export async function startTestHost(options: TestHostOptions): Promise<TestHost> {
  const url = new URL(options.natsUrl);
  const config = resolveHostConfig(
    // No dashboard unless a test asks for one (on a free port): port 4000 is for people. Tests start
    // actors and providers from the files the build wrote, so file references are allowed unless a
    // test says otherwise (allowFileLoad: 'false').
    {
      rpcHost: url.hostname,
      rpcPort: url.port,
      logLevel: 'debug',
      actorWorkers: '1',
      dashboardPort: 'off',
      allowFileLoad: 'true',
      ...options.settings,
      artifactCacheDir: options.settings?.artifactCacheDir ?? freshArtifactCache(),
    },
    hostLabels({}, options.labels),
  );
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', structured: false, write: (line) => logs.push(line) });
  const host = await Host.start({
    config,
    log,
    providerHealthIntervalMs: options.providerHealthIntervalMs,
  });
  return { host, id: host.id, logs };
}
