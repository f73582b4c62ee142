// The controller as a process (`node controller/main.ts`): its --help names every setting, a bad
// setting or an unreachable NATS exits 1 with a line naming it, and three replicas on one lattice
// share the API while exactly one leads: SIGKILL the leader and another leads within 10 s, SIGTERM
// a leader and another leads at once, and the replicas' own logs show no two terms overlapping.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROLLER_SETTINGS } from '../../controller/config.ts';
import { LEASES_BUCKET, openBucket } from '../../controller/kv-buckets.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { WadmClient } from '../../lattice/wadm-client.ts';
import { eventually } from '../helpers/eventually.ts';
import { freePort, type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { type ControllerProcess, runController, startControllerProcess } from './controller-process.ts';
import { manifestBytes } from './manifests.ts';

describe('controller/main.ts settings', () => {
  it('--help documents every flag with its environment variable', async () => {
    const run = await runController(['--help']);
    expect(run.code).toBe(0);
    for (const spec of Object.values(CONTROLLER_SETTINGS)) {
      expect(run.stdout).toContain(`--${spec.flag} <value>`);
      expect(run.stdout).toContain(`[${spec.env}]`);
    }
    expect(run.stdout).toContain('-x, --lattice-prefix');
  });

  it('a bad setting exits 1 with one line naming each bad flag or variable', async () => {
    const run = await runController(['--lattice-prefix', 'a.b', '--log-level', 'loud'], {
      WASMCLOUD_CTL_PORT: '70000',
      WASMCLOUD_CTL_JWT: 'eyJ0',
    });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain("--lattice-prefix: expected letters, digits, '-' and '_' only");
    expect(run.stderr).toContain('WASMCLOUD_CTL_PORT: expected a port from 1 to 65535');
    expect(run.stderr).toContain('--log-level: expected trace, debug, info, warn or error');
    expect(run.stderr).toContain('WASMCLOUD_CTL_JWT needs the seed it belongs to');
  });

  it('a NATS nobody listens on exits 1 with a log line saying so', async () => {
    const port = await freePort();
    const run = await runController([], { WASMCLOUD_CTL_PORT: String(port) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `the controller could not start: cannot connect to NATS at 127.0.0.1:${port}`,
    );
  });
});

describe('three controller processes on one lattice', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let client: WadmClient;
  const replicas: ControllerProcess[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats({ url: server.url });
    client = new WadmClient(nc);
    for (const replicaId of ['ctl-a', 'ctl-b', 'ctl-c']) {
      replicas.push(await startControllerProcess({ natsPort: server.port, replicaId }));
    }
  });

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop('SIGKILL')));
    await nc?.close();
    await server?.stop();
  });

  const leading = () => replicas.filter((replica) => replica.terms().some((term) => term.to === undefined));
  const alive = () =>
    replicas.filter((replica) => replica.child.exitCode === null && replica.child.signalCode === null);

  /** Every term of every replica, a SIGKILLed replica's open term ending when it was killed. */
  function overlaps(killedAt: Map<string, number>): string[] {
    const terms = replicas.flatMap((replica) =>
      replica.terms().map((term) => ({
        replica: replica.replicaId,
        from: term.from,
        to: term.to ?? killedAt.get(replica.replicaId) ?? Number.POSITIVE_INFINITY,
      })),
    );
    terms.sort((a, b) => a.from - b.from);
    const found: string[] = [];
    for (let i = 1; i < terms.length; i++) {
      if (terms[i - 1]!.to > terms[i]!.from) found.push(`${terms[i - 1]!.replica} / ${terms[i]!.replica}`);
    }
    return found;
  }

  it('serve the API while exactly one leads', async () => {
    await eventually(() => leading().length === 1, 'one replica to lead');
    expect(replicas[0]!.output()).toContain('controller started: lattice default, NATS 127.0.0.1:');
    expect(replicas[0]!.output()).toContain('replica ctl-a');
    expect(await client.put(manifestBytes('procapp', 'v1'))).toMatchObject({ result: 'created' });
    expect(await client.deploy('procapp')).toMatchObject({ result: 'acknowledged', version: 'v1' });
    expect((await client.versions('procapp')).versions).toEqual([{ version: 'v1', deployed: true }]);
    expect(leading()).toHaveLength(1);
  });

  it('SIGKILL of the leader: another leads within 10 s, never two at once', async () => {
    const killed = leading()[0]!;
    const killedAt = Date.now();
    killed.child.kill('SIGKILL');
    await killed.exited;
    const next = await eventually(() => leading().find((replica) => replica !== killed), {
      what: 'another replica to lead after the SIGKILL',
      timeoutMs: 12_000,
    });
    const takeover = next.terms().at(-1)!.from - killedAt;
    expect(takeover).toBeLessThan(10_000);
    expect(overlaps(new Map([[killed.replicaId, killedAt]]))).toEqual([]);
    // The API never depended on the leader.
    expect((await client.status('procapp')).result).toBe('ok');
  });

  it('SIGTERM of the leader: it releases the lease, the last replica leads at once, exit 0', async () => {
    const killed = replicas.find((replica) => replica.child.signalCode === 'SIGKILL')!;
    const stopping = leading().find((replica) => replica !== killed)!;
    const stoppedAt = Date.now();
    expect(await stopping.stop('SIGTERM')).toBe(0);
    expect(stopping.output()).toContain('leadership: lease released');
    const last = await eventually(
      () => leading().find((replica) => replica !== killed && replica !== stopping),
      { what: 'the last replica to lead', timeoutMs: 5000 },
    );
    expect(last.terms().at(-1)!.from - stoppedAt).toBeLessThan(2000);
    expect(overlaps(new Map([[killed.replicaId, 0]]))).toEqual([]);

    expect(await last.stop('SIGTERM')).toBe(0);
    expect(alive()).toEqual([]);
    const leases = await openBucket(nc, LEASES_BUCKET);
    expect((await leases.get('default'))?.operation).toBe('DEL');
  });
});
