// The scale bench's lattice of several hosts (issue 19, item 5): FANOUT_BENCH_HOSTS hosts (default
// 5, each in this process with one worker) share a lattice holding SCALE_BENCH_LINKS link
// definitions (default 20,000). Printed beside the targets: how long a link put takes to be
// applied on every host (each host's lattice data holds it; p50/p99 of sequential puts through the
// control interface, as wash sends them), how long one more host takes from start to holding every
// link, and `wash ctl link query` over all of them beside the same query on an empty lattice.
//
// The baseline of the put, in the same run and alternating with it so both see the same load: a
// plain KV put into a bucket of as many entries, watched by 5 bare NATS connections (no host),
// until all 5 have seen it. What the process was doing meanwhile is printed too: the event loop's
// delay and the garbage collector's pauses over the puts, and the load average, since on a small
// shared machine the tail is mostly the scheduler's.

import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { ControlClient } from '../lattice/control-client.ts';
import { KeyPair } from '../lattice/keys.ts';
import { connectNats, type KV, type NatsConnection } from '../lattice/nats.ts';
import { startTestHost, type TestHost } from '../test/helpers/host.ts';
import { startNatsServer } from '../test/helpers/nats-server.ts';
import { runWash } from '../test/helpers/wash.ts';
import { percentile } from './harness.ts';

const LATTICE = 'fanoutbench';
const TARGET_APPLIED_P99_MS = 100;
const TARGET_QUERY_MS = 2_000;
const PUTS = Number(process.env.FANOUT_BENCH_PUTS ?? 300);
const WARM_UP = 20;
const BASELINE_BUCKET = 'FANOUT_BASELINE';

function row(cells: Array<string | number>): string {
  const widths = [50, 10, 26, 8];
  return cells.map((cell, index) => String(cell).padEnd(widths[index] ?? 0)).join(' ');
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

/** A bulk put that timed out on a busy machine (the host waits 1 s for JetStream) is tried again. */
async function retried<T>(put: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await put();
    } catch (error) {
      if (attempt === 5) throw error;
    }
  }
}

/** Bare watchers of one KV bucket, each on its own connection: the keys each has seen. */
async function bareWatchers(
  url: string,
  count: number,
): Promise<{ kv: KV; seen: Array<Set<string>>; close(): Promise<void> }> {
  const connections: NatsConnection[] = [];
  const seen: Array<Set<string>> = [];
  let kv: KV | undefined;
  for (let i = 0; i < count; i++) {
    const nc = await connectNats({ url });
    connections.push(nc);
    const bucket = await nc.jetstream().views.kv(BASELINE_BUCKET, { history: 1 });
    kv ??= bucket;
    const keys = new Set<string>();
    seen.push(keys);
    const watcher = await bucket.watch({ key: '>' });
    void (async () => {
      for await (const entry of watcher) keys.add(entry.key);
    })();
  }
  return {
    kv: kv!,
    seen,
    close: async () => {
      for (const nc of connections) await nc.close();
    },
  };
}

/** The event loop's delay and the garbage collector's pauses from now until `stop`. */
function processPauses(): {
  stop(): { loopP99: number; loopMax: number; gcCount: number; gcMajor: number; gcMax: number };
} {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const gc: Array<{ ms: number; major: boolean }> = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      gc.push({ ms: entry.duration, major: kind === constants.NODE_PERFORMANCE_GC_MAJOR });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop: () => {
      loop.disable();
      observer.disconnect();
      return {
        loopP99: loop.percentile(99) / 1e6,
        loopMax: loop.max / 1e6,
        gcCount: gc.length,
        gcMajor: gc.filter((pause) => pause.major).length,
        gcMax: Math.max(0, ...gc.map((pause) => pause.ms)),
      };
    },
  };
}

export async function runFanOutBench(): Promise<void> {
  const hostCount = Number(process.env.FANOUT_BENCH_HOSTS ?? 5);
  const linkCount = Number(process.env.SCALE_BENCH_LINKS ?? 20_000);
  const dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-fanout-bench-'));
  const nats = await startNatsServer();
  const hosts: TestHost[] = [];
  const nc = await connectNats({ url: nats.url });
  const start = () =>
    startTestHost({ natsUrl: nats.url, settings: { latticePrefix: LATTICE, logLevel: 'warn' } });
  const washQuery = async () => {
    const began = performance.now();
    const run = await runWash(
      ['ctl', 'link', 'query', '-p', String(nats.port), '-x', LATTICE, '-o', 'json', '--timeout-ms', '30000'],
      { env: { WASH_HOME: join(dir, 'wash-home'), HOME: dir } },
    );
    if (run.code !== 0) throw new Error(`wash ctl link query failed: ${run.stderr}`);
    return { ms: performance.now() - began, bytes: run.stdout.length };
  };
  const bare = await bareWatchers(nats.url, hostCount);
  try {
    for (let i = 0; i < hostCount; i++) hosts.push(await start());
    console.log(
      `\nA lattice of ${hostCount} hosts (one worker each, in one process) and ${linkCount} links (load average ${load()})`,
    );
    const empty = await washQuery();

    const provider = KeyPair.create('service').publicKey;
    const link = () => ({
      actor_id: KeyPair.create('module').publicKey,
      provider_id: provider,
      contract_id: 'wasmcloud:keyvalue',
      link_name: 'default',
      values: { URL: 'nats://127.0.0.1:4222' },
    });
    const data = hosts[0]!.host.latticeData;
    // 100 at a time: more in flight only make KV puts time out on a busy machine. The baseline's
    // bucket gets as many entries, of the same size.
    for (let i = 0; i < linkCount; i += 100) {
      const batch = Array.from({ length: Math.min(100, linkCount - i) }, link);
      await Promise.all(batch.map((next) => retried(() => data.putLink(next))));
      await Promise.all(
        batch.map((next, j) => retried(() => bare.kv.put(`entry.${i + j}`, JSON.stringify(next)))),
      );
    }
    while (
      hosts.some((host) => host.host.latticeData.links().length < linkCount) ||
      bare.seen.some((keys) => keys.size < linkCount)
    )
      await new Promise((resolve) => setTimeout(resolve, 50));

    // Sequential puts, alternating: one through the control interface, timed until every host
    // holds it; one plain KV put, timed until every bare watcher has seen it. The first WARM_UP of
    // each are not counted: the machine settles after the bulk load (the workers still taking their
    // route changes) and both paths get compiled.
    const client = new ControlClient(nc, { latticePrefix: LATTICE, timeoutMs: 30_000 });
    const acked: number[] = [];
    const applied: number[] = [];
    const baseline: number[] = [];
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    let loadBefore = load();
    let pauses = processPauses();
    for (let i = -WARM_UP; i < PUTS; i++) {
      if (i === 0) {
        for (const samples of [acked, applied, baseline]) samples.length = 0;
        pauses.stop();
        pauses = processPauses();
        loadBefore = load();
      }
      const next = link();
      let began = performance.now();
      await client.putLink(next);
      acked.push(performance.now() - began);
      const held = (host: TestHost) =>
        host.host.latticeData.linkFor(next.actor_id, next.contract_id, next.link_name) !== undefined;
      while (!hosts.every(held)) await tick();
      applied.push(performance.now() - began);

      const key = `extra.${i}`;
      began = performance.now();
      await bare.kv.put(key, JSON.stringify(next));
      while (!bare.seen.every((keys) => keys.has(key))) await tick();
      baseline.push(performance.now() - began);
    }
    const paused = pauses.stop();
    const loadAfter = load();
    for (const samples of [acked, applied, baseline]) samples.sort((a, b) => a - b);

    const began = performance.now();
    const late = await start();
    hosts.push(late);
    const hostStarted = performance.now() - began;
    while (late.host.latticeData.links().length < linkCount + WARM_UP + PUTS) await tick();
    const hostReady = performance.now() - began;

    const query = await washQuery();
    // The query itself, without a wash process starting: the same request from this process.
    const clientBegan = performance.now();
    const clientLinks = (await client.getLinks()).length;
    const clientMs = performance.now() - clientBegan;

    const ms = (value: number) => value.toFixed(1);
    console.log(row(['', 'measured', 'baseline', 'ratio', 'target']));
    for (const [name, fraction] of [
      ['p50', 0.5],
      ['p99', 0.99],
    ] as const) {
      const ours = percentile(applied, fraction);
      const bareMs = percentile(baseline, fraction);
      console.log(
        row([
          `link put applied on all ${hostCount} hosts, ${name} (ms)`,
          ms(ours),
          `${ms(bareMs)} KV put, ${hostCount} watchers`,
          (ours / bareMs).toFixed(2),
          name === 'p99' ? `<= ${TARGET_APPLIED_P99_MS}` : '',
        ]),
      );
    }
    console.log(
      row([
        '  of which the control reply, p50 / p99 (ms)',
        `${ms(percentile(acked, 0.5))} / ${ms(percentile(acked, 0.99))}`,
        '',
        '',
        '',
      ]),
    );
    console.log(
      row([`  max of ${PUTS} puts: ours / baseline (ms)`, ms(applied.at(-1)!), ms(baseline.at(-1)!), '', '']),
    );
    console.log(
      `  over the puts: load average ${loadBefore} -> ${loadAfter}; event loop delay p99 ${ms(paused.loopP99)} ms, max ${ms(paused.loopMax)} ms; ${paused.gcCount} GC pauses (${paused.gcMajor} major), longest ${ms(paused.gcMax)} ms`,
    );
    console.log(
      row([
        `a new host: start, then all ${linkCount + WARM_UP + PUTS} links held (ms)`,
        Math.round(hostReady),
        `${Math.round(hostStarted)} start`,
        '',
        '',
      ]),
    );
    console.log(
      row([
        `wash ctl link query, ${linkCount + WARM_UP + PUTS} links (ms; ${Math.round(query.bytes / 1024)} KiB)`,
        Math.round(query.ms),
        `${Math.round(empty.ms)} 0 links`,
        (query.ms / empty.ms).toFixed(2),
        `<= ${TARGET_QUERY_MS}`,
      ]),
    );
    console.log(
      row([
        `  the same, ControlClient in-process (ms; ${clientLinks})`,
        Math.round(clientMs),
        `${Math.round(query.ms - clientMs)} wash's own part`,
        '',
        `<= ${TARGET_QUERY_MS}`,
      ]),
    );
  } finally {
    for (const host of hosts.reverse()) await host.host.stop();
    await bare.close();
    await nc.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
