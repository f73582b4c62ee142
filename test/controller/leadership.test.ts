// The leadership lease on a real nats-server: of several replicas exactly one leads, a stopped
// leader hands over at once, a leader cut off from NATS (as a killed process is) is replaced within
// 10 s, a leader whose lease was taken stops at once, and a trace of every replica's terms shows
// no two leading at the same moment.

import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControllerError } from '../../controller/errors.ts';
import { LEASES_BUCKET, openBucket } from '../../controller/kv-buckets.ts';
import { LeadershipLease } from '../../controller/leadership.ts';
import { connectNats, type KV, type NatsConnection } from '../../lattice/nats.ts';
import { eventually } from '../helpers/eventually.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { memoryLogger } from './controller-fixtures.ts';

interface Term {
  replica: string;
  from: number;
  to: number | undefined;
}

/** Every term of every replica, on this process's monotonic clock. */
class LeaseTrace {
  readonly terms: Term[] = [];

  elected(replica: string): void {
    this.terms.push({ replica, from: performance.now(), to: undefined });
  }

  deposed(replica: string): void {
    const open = this.terms.findLast((term) => term.replica === replica && term.to === undefined);
    if (open) open.to = performance.now();
  }

  leaders(): string[] {
    return this.terms.filter((term) => term.to === undefined).map((term) => term.replica);
  }

  /** Pairs of terms that overlap in time (there must be none). */
  overlaps(): string[] {
    const found: string[] = [];
    const sorted = [...this.terms].sort((a, b) => a.from - b.from);
    for (let i = 1; i < sorted.length; i++) {
      const previous = sorted[i - 1]!;
      const next = sorted[i]!;
      if ((previous.to ?? Number.POSITIVE_INFINITY) > next.from)
        found.push(
          `${previous.replica} [${previous.from}, ${previous.to}] and ${next.replica} from ${next.from}`,
        );
    }
    return found;
  }
}

interface Contender {
  id: string;
  nc: NatsConnection;
  lease: LeadershipLease;
  lines: string[];
}

let server: NatsServer;
let observer: NatsConnection;
let leasesKv: KV;
const contenders: Contender[] = [];
let lattice = 0;

beforeAll(async () => {
  server = await startNatsServer();
  observer = await connectNats({ url: server.url });
  leasesKv = await openBucket(observer, LEASES_BUCKET);
});

afterEach(async () => {
  for (const contender of contenders.splice(0)) {
    await contender.lease.stop();
    if (!contender.nc.isClosed()) await contender.nc.close();
  }
});

afterAll(async () => {
  await observer?.close();
  await server?.stop();
});

/** `count` replicas of one fresh lattice, started together. */
async function contend(
  count: number,
  trace: LeaseTrace,
): Promise<{ contenders: Contender[]; latticePrefix: string }> {
  const latticePrefix = `lease${++lattice}`;
  const started = await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const id = `${latticePrefix}-replica-${index}`;
      const nc = await connectNats({ url: server.url, name: id });
      const kv = await openBucket(nc, LEASES_BUCKET);
      const lines: string[] = [];
      const lease = new LeadershipLease({
        kv,
        latticePrefix,
        replicaId: id,
        log: memoryLogger(lines),
        onElected: () => trace.elected(id),
        onDeposed: () => trace.deposed(id),
      });
      const contender = { id, nc, lease, lines };
      contenders.push(contender);
      return contender;
    }),
  );
  await Promise.all(started.map((contender) => contender.lease.start()));
  return { contenders: started, latticePrefix };
}

/** The lease's current revision, to wait for renewals. */
async function leaseRevision(latticePrefix: string): Promise<number> {
  return (await leasesKv.get(latticePrefix))?.revision ?? 0;
}

describe('leadership lease', () => {
  it('refuses timings that leave no time to renew, with a coded error', () => {
    const make = () =>
      new LeadershipLease({
        kv: leasesKv,
        latticePrefix: 'lease-timings',
        replicaId: 'replica',
        log: memoryLogger([]),
        ttlMs: 1000,
        renewEveryMs: 1000,
        onElected: () => {},
        onDeposed: () => {},
      });
    expect(make).toThrow(ControllerError);
    expect(make).toThrow(expect.objectContaining({ code: 'CONTROLLER_LEASE_TIMINGS_INVALID' }));
  });

  it('of three replicas started together exactly one leads, and keeps leading across renewals', async () => {
    const trace = new LeaseTrace();
    const { contenders: three, latticePrefix } = await contend(3, trace);
    await eventually(() => trace.leaders().length === 1, 'one leader');
    const first = await leaseRevision(latticePrefix);
    await eventually(async () => (await leaseRevision(latticePrefix)) >= first + 2, 'two renewals', 10_000);
    expect(trace.leaders()).toHaveLength(1);
    expect(trace.terms).toHaveLength(1);
    expect(three.filter((contender) => contender.lease.leading).map((c) => c.id)).toEqual(trace.leaders());
    const value = JSON.parse(new TextDecoder().decode((await leasesKv.get(latticePrefix))!.value)) as Record<
      string,
      unknown
    >;
    expect(value).toMatchObject({ holder: trace.leaders()[0], ttl_ms: 6000 });
    expect(Date.parse(value.expires_at as string)).toBeGreaterThan(Date.now());
  });

  it('of five replicas racing for a lease nobody holds, one wins', async () => {
    const trace = new LeaseTrace();
    await contend(5, trace);
    await eventually(() => trace.leaders().length === 1, 'one leader');
    expect(trace.terms).toHaveLength(1);
  });

  it('a leader that stops releases the lease and another replica leads at once', async () => {
    const trace = new LeaseTrace();
    const { contenders: two, latticePrefix } = await contend(2, trace);
    const leaderId = await eventually(() => trace.leaders()[0], 'a leader');
    const leader = two.find((contender) => contender.id === leaderId)!;
    const stoppedAt = performance.now();
    await leader.lease.stop();
    const next = await eventually(() => trace.leaders()[0], 'the other replica to lead', 3000);
    const handover = performance.now() - stoppedAt;
    expect(next).not.toBe(leaderId);
    // Far below the 6 s TTL: the follower saw the key deleted and took it.
    expect(handover).toBeLessThan(2000);
    expect(trace.overlaps()).toEqual([]);
    expect(leader.lines.join('')).toContain('lease released');
    expect((await leasesKv.get(latticePrefix))?.operation).toBe('PUT');
  });

  it('a leader cut off from NATS stops leading by itself, and another leads within 10 s, never both', async () => {
    const trace = new LeaseTrace();
    const { contenders: three } = await contend(3, trace);
    const leaderId = await eventually(() => trace.leaders()[0], 'a leader');
    const leader = three.find((contender) => contender.id === leaderId)!;
    const cutAt = performance.now();
    await leader.nc.close(); // as a SIGKILL would: no release
    const next = await eventually(() => trace.leaders().find((id) => id !== leaderId), {
      what: 'another replica to lead',
      timeoutMs: 10_000,
    });
    const takeover = performance.now() - cutAt;
    expect(three.map((c) => c.id)).toContain(next);
    expect(takeover).toBeLessThan(10_000);
    // The old leader's own deadline (TTL - 1 s after its last renewal was sent) ended its term first.
    const oldTerm = trace.terms.find((term) => term.replica === leaderId)!;
    expect(oldTerm.to).toBeDefined();
    expect(trace.overlaps()).toEqual([]);
    expect(leader.lines.join('')).toContain('the lease could not be renewed within 5000 ms');
  });

  it('a leader whose lease was taken stops leading at once', async () => {
    const trace = new LeaseTrace();
    const { contenders: one, latticePrefix } = await contend(1, trace);
    await eventually(() => trace.leaders().length === 1, 'a leader');
    const entry = await leasesKv.get(latticePrefix);
    const takenAt = performance.now();
    // Another writer (say a replica whose clock ran fast) takes the lease by its revision.
    await leasesKv.update(
      latticePrefix,
      JSON.stringify({
        holder: 'intruder',
        ttl_ms: 60_000,
        acquired_at: new Date().toISOString(),
        renewed_at: new Date().toISOString(),
        expires_at: new Date(Date.now() + 60_000).toISOString(),
      }),
      entry!.revision,
    );
    await eventually(() => trace.leaders().length === 0, 'the leader to stop', 3000);
    expect(performance.now() - takenAt).toBeLessThan(1500); // the watch, not the next renewal, told it
    expect(one[0]!.lines.join('')).toContain('another replica holds the lease now');
    // As a follower now, it names the new holder at its next look.
    await eventually(
      () => one[0]!.lines.join('').includes('intruder holds the lease'),
      'the new holder named',
    );
    expect(one[0]!.lease.leading).toBe(false);
  });
});
