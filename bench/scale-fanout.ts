// The scale bench's lattice of several hosts (issue 19, item 5): FANOUT_BENCH_HOSTS hosts (default
// 5, each in this process with one worker) share a lattice holding SCALE_BENCH_LINKS link
// definitions (default 20,000). Printed beside the targets: how long a link put takes to be
// applied on every host (each host's lattice data holds it; p50/p99 of sequential puts through the
// control interface, as wash sends them), how long one more host takes from start to holding every
// link, and `wash ctl link query` over all of them beside the same query on an empty lattice.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../lattice/control-client.ts';
import { KeyPair } from '../lattice/keys.ts';
import { connectNats } from '../lattice/nats.ts';
import { startTestHost, type TestHost } from '../test/helpers/host.ts';
import { startNatsServer } from '../test/helpers/nats-server.ts';
import { runWash } from '../test/helpers/wash.ts';
import { percentile } from './harness.ts';

const LATTICE = 'fanoutbench';
const TARGET_APPLIED_P99_MS = 100;
const TARGET_QUERY_MS = 2_000;
const PUTS = 200;

function row(cells: Array<string | number>): string {
  const widths = [50, 10, 22, 8];
  return cells.map((cell, index) => String(cell).padEnd(widths[index] ?? 0)).join(' ');
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

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
  try {
    for (let i = 0; i < hostCount; i++) hosts.push(await start());
    console.log(`\nA lattice of ${hostCount} hosts (one worker each, in one process) and ${linkCount} links`);
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
    // 100 at a time: more in flight only make KV puts time out on a busy machine.
    for (let i = 0; i < linkCount; i += 100)
      await Promise.all(Array.from({ length: Math.min(100, linkCount - i) }, () => data.putLink(link())));
    while (hosts.some((host) => host.host.latticeData.links().length < linkCount))
      await new Promise((resolve) => setTimeout(resolve, 50));

    // Sequential puts through the control interface, each timed until every host holds it.
    const client = new ControlClient(nc, { latticePrefix: LATTICE, timeoutMs: 30_000 });
    const applied: number[] = [];
    for (let i = 0; i < PUTS; i++) {
      const next = link();
      const began = performance.now();
      await client.putLink(next);
      while (
        hosts.some(
          (host) =>
            host.host.latticeData.linkFor(next.actor_id, next.contract_id, next.link_name) === undefined,
        )
      )
        await tick();
      applied.push(performance.now() - began);
    }
    applied.sort((a, b) => a - b);

    const began = performance.now();
    const late = await start();
    hosts.push(late);
    const hostStarted = performance.now() - began;
    while (late.host.latticeData.links().length < linkCount + PUTS) await tick();
    const hostReady = performance.now() - began;

    const query = await washQuery();

    console.log(row(['', 'measured', 'baseline', 'ratio', 'target']));
    console.log(
      row([
        `link put applied on all ${hostCount} hosts, p50 (ms)`,
        percentile(applied, 0.5).toFixed(1),
        '',
        '',
        '',
      ]),
    );
    console.log(
      row([
        `link put applied on all ${hostCount} hosts, p99 (ms)`,
        percentile(applied, 0.99).toFixed(1),
        '',
        '',
        `<= ${TARGET_APPLIED_P99_MS}`,
      ]),
    );
    console.log(
      row([
        `a new host: start, then all ${linkCount + PUTS} links held (ms)`,
        Math.round(hostReady),
        `${Math.round(hostStarted)} start`,
        '',
        '',
      ]),
    );
    console.log(
      row([
        `wash ctl link query, ${linkCount + PUTS} links (ms; ${Math.round(query.bytes / 1024)} KiB)`,
        Math.round(query.ms),
        `${Math.round(empty.ms)} 0 links`,
        (query.ms / empty.ms).toFixed(2),
        `<= ${TARGET_QUERY_MS}`,
      ]),
    );
  } finally {
    for (const host of hosts.reverse()) await host.host.stop();
    await nc.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
