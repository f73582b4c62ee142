// What an idle host costs (issue 19, item 4), a section of `npm run bench -- scale`: host processes
// started as operators start them (`node host/main.ts`, which runs the compiled host of
// host/build.ts when it is current), each measured alone after it settles: RSS, and CPU over an
// idle window. Beside them, in the same run: bare `node -e` (the baseline), Node with its type
// stripper loaded, and the host run from its .ts files (what a host costs without the build).

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCompiledHost } from '../host/build.ts';
import { COMPILED_HOST, currentCompiledHost } from '../host/compiled-host.ts';
import { missingMemorySettings } from '../host/memory-settings.ts';
import { REPO_ROOT } from '../test/helpers/fixtures.ts';
import { startHostProcess } from '../test/helpers/host-process.ts';
import { freePort, startNatsServer } from '../test/helpers/nats-server.ts';
import { NODE_24 } from '../test/helpers/wash.ts';

const TARGET = { oneWorkerMb: 100, perWorkerMb: 15 };
/** Long enough for start-up's garbage to be collected and jemalloc to hand pages back (~10 s). */
const SETTLE_MS = 12_000;
const IDLE_WINDOW_MS = 10_000;
/** Linux's clock ticks per second in /proc/{pid}/stat (USER_HZ). */
const TICKS_PER_SECOND = 100;

interface Cost {
  rssMb: number;
  /** CPU time over the idle window, as a share of one core. */
  idleCpuPercent: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

async function measure(pid: number): Promise<Cost> {
  await sleep(SETTLE_MS);
  const rss = rssMb(pid);
  const before = cpuTicks(pid);
  await sleep(IDLE_WINDOW_MS);
  const ticks = cpuTicks(pid) - before;
  return { rssMb: rss, idleCpuPercent: (ticks / TICKS_PER_SECOND / (IDLE_WINDOW_MS / 1000)) * 100 };
}

/** A Node process that only waits, with the host's memory settings: `node -e` or a one-line .ts file. */
async function bareNode(typeScript: boolean): Promise<Cost> {
  const settings = missingMemorySettings(process.env, []);
  const wait = 'setInterval(() => {}, 1000)';
  const args = typeScript
    ? [...settings.nodeFlags, '--input-type=module-typescript', '-e', `const wait: string = ''; ${wait}`]
    : [...settings.nodeFlags, '-e', wait];
  const child: ChildProcess = spawn(NODE_24, args, {
    env: { ...process.env, ...settings.env },
    stdio: 'ignore',
  });
  try {
    return await measure(child.pid!);
  } finally {
    child.kill('SIGKILL');
  }
}

async function host(
  natsUrl: string,
  workers: number,
  options: { dashboard?: boolean; fromSources?: boolean } = {},
): Promise<Cost> {
  const url = new URL(natsUrl);
  const env: Record<string, string> = {
    WASMCLOUD_RPC_HOST: url.hostname,
    WASMCLOUD_RPC_PORT: url.port,
    WASMCLOUD_ACTOR_WORKERS: String(workers),
    WASMCLOUD_DASHBOARD_PORT: options.dashboard ? String(await freePort()) : 'off',
    WASMCLOUD_LATTICE_PREFIX: `idlecost${workers}`,
    WASMCLOUD_LOG_LEVEL: 'info', // startHostProcess waits for `host started`
  };
  if (options.fromSources) {
    // host/cli.ts with the settings host/main.ts would restart with, but never the compiled host.
    const settings = missingMemorySettings(process.env, []);
    Object.assign(env, settings.env, { NODE_OPTIONS: settings.nodeFlags.join(' ') });
  }
  const started = await startHostProcess({
    env,
    ...(options.fromSources ? { script: join(REPO_ROOT, 'host', 'cli.ts') } : {}),
  });
  try {
    return await measure(started.child.pid!);
  } finally {
    await started.stop();
  }
}

function row(cells: Array<string | number>): string {
  const widths = [50, 10, 22, 8];
  return cells.map((cell, index) => String(cell).padEnd(widths[index] ?? 0)).join(' ');
}

export async function runIdleCostBench(): Promise<void> {
  if (currentCompiledHost() === undefined) await buildCompiledHost();
  console.log(
    `\nAn idle host, as node host/main.ts starts it (${currentCompiledHost() === COMPILED_HOST ? 'the compiled host, dist/' : 'from .ts'}); each process alone, RSS after ${SETTLE_MS / 1000} s, CPU over ${IDLE_WINDOW_MS / 1000} s idle`,
  );
  const nats = await startNatsServer();
  try {
    const bare = await bareNode(false);
    const stripper = await bareNode(true);
    const one = await host(nats.url, 1);
    const four = await host(nats.url, 4);
    const sources = await host(nats.url, 1, { fromSources: true });
    const dashboard = await host(nats.url, 1, { dashboard: true });
    const perWorker = (four.rssMb - one.rssMb) / 3;
    const mb = (value: number) => value.toFixed(0);
    console.log(row(['', 'MB RSS', 'baseline', 'ratio', 'target']));
    console.log(row(['bare node -e (memory settings)', mb(bare.rssMb), '', '', '']));
    console.log(
      row([
        'node -e, type stripper loaded (TypeScript)',
        mb(stripper.rssMb),
        `${mb(bare.rssMb)} node -e`,
        (stripper.rssMb / bare.rssMb).toFixed(2),
        '',
      ]),
    );
    console.log(
      row([
        'host, 1 worker, no dashboard',
        mb(one.rssMb),
        `${mb(bare.rssMb)} node -e`,
        (one.rssMb / bare.rssMb).toFixed(2),
        `<= ${TARGET.oneWorkerMb}`,
      ]),
    );
    console.log(
      row(['each further worker (4 workers - 1, / 3)', mb(perWorker), '', '', `<= ${TARGET.perWorkerMb}`]),
    );
    console.log(
      row([
        'host from .ts (no build), 1 worker',
        mb(sources.rssMb),
        `${mb(one.rssMb)} compiled`,
        (sources.rssMb / one.rssMb).toFixed(2),
        '',
      ]),
    );
    console.log(
      row([
        'host, 1 worker, dashboard on',
        mb(dashboard.rssMb),
        `${mb(one.rssMb)} off`,
        (dashboard.rssMb / one.rssMb).toFixed(2),
        '',
      ]),
    );
    console.log(
      row([
        'idle CPU, host with 1 worker (% of a core)',
        one.idleCpuPercent.toFixed(1),
        `${bare.idleCpuPercent.toFixed(1)} node -e`,
        '',
        '≈ 0',
      ]),
    );
  } finally {
    await nats.stop();
  }
}
