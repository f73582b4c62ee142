// Start-up and shutdown release what the host acquired, on every path: a stop, a start that fails
// part-way (NATS without JetStream, a failure after every part is up), a dashboard port that is
// taken. Checked from outside with real parts: the nats-server's own list of client connections
// (/connz), the host's temp folder (under a TMPDIR of this test's own) and the dashboard's port.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostLabels, type RawSettings, resolveHostConfig } from '../../host/config.ts';
import { Host } from '../../host/host.ts';
import { createLogger } from '../../lattice/log.ts';
import { connectNats } from '../../lattice/nats.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { buildProbeArchive } from '../fixtures/providers/provider-test-kit.ts';
import { eventually } from '../helpers/eventually.ts';
import { ctlRequest } from '../helpers/lattice-client.ts';
import { freePort, type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

let root: string;
let nats: NatsServer;

beforeAll(async () => {
  // The host's temp folder goes under tmpdir(): a root of our own shows exactly which folders exist.
  root = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-lifecycle-'));
  process.env.TMPDIR = root;
  nats = await startNatsServer({ monitor: true });
});

afterAll(async () => {
  await nats?.stop();
  rmSync(root, { recursive: true, force: true });
});

function hostFolders(): string[] {
  return readdirSync(root).filter((name) => name.startsWith('wasmcloud-ts-host-'));
}

interface Attempt {
  logs: string[];
  start: Promise<Host>;
}

/** Starts a host on `natsUrl`; `failOn` makes the log throw at the first line that contains it. */
function startHost(natsUrl: string, settings: RawSettings = {}, failOn?: string): Attempt {
  const url = new URL(natsUrl);
  const config = resolveHostConfig(
    {
      rpcHost: url.hostname,
      rpcPort: url.port,
      actorWorkers: '1',
      dashboardPort: '0',
      friendlyName: 'lifecycle-host',
      ...settings,
    },
    hostLabels({}, {}),
  );
  const logs: string[] = [];
  let failed = false;
  const log = createLogger({
    level: 'debug',
    structured: false,
    write: (line) => {
      logs.push(line);
      // Once: the lines that report the failure quote it.
      if (failOn === undefined || failed || !line.includes(failOn)) return;
      failed = true;
      throw new Error(`injected failure at "${failOn}"`);
    },
  });
  return { logs, start: Host.start({ config, log }) };
}

function dashboardUrlIn(logs: string[]): string | undefined {
  return logs.join('').match(/dashboard listening on (http:\/\/\S+)/)?.[1];
}

async function refused(url: string): Promise<boolean> {
  return fetch(url).then(
    () => false,
    () => true,
  );
}

async function noConnectionsLeft(server: NatsServer): Promise<void> {
  await eventually(
    async () => (await server.connectionNames()).length === 0,
    'every host connection to close',
  );
}

describe('host lifecycle', () => {
  it('a started host holds its connections, worker, folder and dashboard; stop releases all of them', async () => {
    const { logs, start } = startHost(nats.url);
    const host = await start;
    const names = await nats.connectionNames();
    expect(names.length).toBeGreaterThanOrEqual(2); // control and RPC (workers connect on demand)
    expect(hostFolders()).toHaveLength(1);
    const dashboard = host.dashboardUrl;
    expect(dashboard).toBeDefined();
    expect(await refused(dashboard!)).toBe(false);

    await host.stop();
    await noConnectionsLeft(nats);
    expect(hostFolders()).toEqual([]);
    expect(await refused(dashboard!)).toBe(true);
    expect(logs.join('')).toMatch(/host N[A-Z2-7]{55} stopped/);
  });

  it('a start that fails after every part is up releases every part and rethrows', async () => {
    // The very last step of the start (its "host started" line) fails.
    const { logs, start } = startHost(nats.url, {}, 'host started:');
    await expect(start).rejects.toThrow('injected failure at "host started:"');
    const dashboard = dashboardUrlIn(logs);
    expect(dashboard).toBeDefined(); // it was up when the start failed
    await noConnectionsLeft(nats);
    expect(hostFolders()).toEqual([]);
    expect(await refused(dashboard!)).toBe(true);
    expect(logs.join('')).not.toContain('releasing'); // nothing failed to release
  });

  it('a start against a NATS without JetStream fails naming it, and leaves nothing behind', async () => {
    const plain = await startNatsServer({ jetstream: false, monitor: true });
    try {
      const { start } = startHost(plain.url, { dashboardPort: 'off' });
      // No JetStream at all (nobody answers its API) still stops the start, after the 3 s start wait.
      await expect(start).rejects.toThrow(/cannot open the lattice data bucket \(is JetStream enabled\?\)/);
      await noConnectionsLeft(plain);
      expect(hostFolders()).toEqual([]);
    } finally {
      await plain.stop();
    }
  }, 40_000);

  it('a dashboard port already in use: the host runs on without a dashboard, and stops clean', async () => {
    const port = await freePort();
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const { logs, start } = startHost(nats.url, { dashboardPort: String(port) });
      const host = await start;
      expect(host.dashboardUrl).toBeUndefined();
      expect(logs.join('')).toContain(`dashboard not started: cannot listen on 127.0.0.1:${port}`);
      await host.stop();
      await noConnectionsLeft(nats);
      expect(hostFolders()).toEqual([]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('a step of the stop that fails does not keep the later steps from running', async () => {
    const probe = await buildProbeArchive(mkdtempSync(join(root, 'probe-')));
    // Stopping the providers fails: the log throws on the provider's "stopped" line, inside that
    // step. The actors, the runtime, the dashboard, the connections and the folder are released
    // after it all the same, and the stop rejects naming what failed.
    const { logs, start } = startHost(nats.url, { allowFileLoad: 'true' }, '(link default) stopped');
    const host = await start;
    const dashboard = host.dashboardUrl!;
    const nc = await connectNats({ url: nats.url });
    try {
      const reply = await ctlRequest(nc, latticeSubjects('default').ctl.launchProvider(host.id), {
        provider_ref: probe.path,
        link_name: 'default',
      });
      expect(reply).toMatchObject({ accepted: true });
    } finally {
      await nc.close();
    }
    await eventually(
      () => logs.join('').includes('(link default) started'),
      'the probe provider to start',
      30_000,
    );

    await expect(host.stop()).rejects.toMatchObject({ code: 'RELEASE_FAILED' });
    const text = logs.join('');
    expect(text).toContain('releasing the providers failed: injected failure at "(link default) stopped"');
    expect(text).toMatch(/host N[A-Z2-7]{55} stopped, but 1 release step failed/);
    await noConnectionsLeft(nats);
    expect(hostFolders()).toEqual([]);
    expect(await refused(dashboard)).toBe(true);
  }, 60_000);
});
