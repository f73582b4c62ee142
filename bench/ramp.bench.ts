// Ramp (issue 16): HTTP load from 0 to saturation and back through the built-in httpserver, with the
// controller process's autoscaler (min 0, max 4, targetConcurrency 2, scaleDownDelay 2s) deciding
// the wasmbus echo's instances; beside plain fastify answering the same JSON, same ramp, same run.
// Prints the instances each second (the host's load query), p50/p99 and failed requests per step.
// Real nats-server, a host process and the controller process (node controller/main.ts); the load
// comes from this process. About 80 s.
//
// RAMP_BENCH_STEP_MS (default 2500): how long each step of the ramp holds its in-flight count.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { verifySignedWasm } from '../lattice/claims.ts';
import { ControlClient } from '../lattice/control-client.ts';
import { connectNats } from '../lattice/nats.ts';
import { WadmClient } from '../lattice/wadm-client.ts';
import { type ControllerProcess, startControllerProcess } from '../test/controller/controller-process.ts';
import { builtActor } from '../test/helpers/actors.ts';
import { autoscaledHttpAppYaml } from '../test/helpers/app-manifests.ts';
import { REPO_ROOT } from '../test/helpers/fixtures.ts';
import { type HostProcess, startHostProcess } from '../test/helpers/host-process.ts';
import { freePort, startNatsServer } from '../test/helpers/nats-server.ts';
import { stopChild } from './child-processes.ts';
import { percentile } from './harness.ts';

const LATTICE = 'rampbench';
const APP = 'ramp';
const UP = [1, 2, 4, 8, 16, 32, 64];
const DOWN = [32, 16, 8, 4, 2, 1];
const MAX_INSTANCES = 4;
const BASELINE_SERVER = new URL('./http-baseline-server.ts', import.meta.url).pathname;

interface Outcome {
  step: number;
  ms: number;
  ok: boolean;
}

/** GET loops against `url`, as many running as `inFlight` says; each outcome kept with its step. */
class RampLoad {
  readonly outcomes: Outcome[] = [];
  step = 0;
  #inFlight = 0;
  #running = 0;
  readonly #loops: Promise<void>[] = [];
  readonly #url: string;

  constructor(url: string) {
    this.#url = url;
  }

  set inFlight(count: number) {
    this.#inFlight = count;
    while (this.#running < count) this.#loops.push(this.#loop(this.#running++));
  }

  async #loop(index: number): Promise<void> {
    while (index < this.#inFlight) {
      const step = this.step;
      const start = performance.now();
      let ok = false;
      try {
        const response = await fetch(this.#url, { signal: AbortSignal.timeout(10_000) });
        await response.arrayBuffer();
        ok = response.status === 200;
      } catch {
        ok = false; // counted as failed below
      }
      this.outcomes.push({ step, ms: performance.now() - start, ok });
    }
    this.#running -= 1;
  }

  async stop(): Promise<void> {
    this.inFlight = 0;
    await Promise.all(this.#loops);
  }
}

/** Runs the ramp; `sample` is called once a second meanwhile (instances for our host). */
async function ramp(url: string, stepMs: number, sample: (second: number, step: number) => Promise<void>) {
  const load = new RampLoad(url);
  const startedAt = Date.now();
  let sampling = true;
  const sampler = (async () => {
    for (let second = 1; sampling; second++) {
      await new Promise((resolve) => setTimeout(resolve, startedAt + second * 1000 - Date.now()));
      if (sampling) await sample(second, load.step);
    }
  })();
  const steps = [...UP, ...DOWN];
  for (const [index, inFlight] of steps.entries()) {
    load.step = index;
    load.inFlight = inFlight;
    await new Promise((resolve) => setTimeout(resolve, index < UP.length ? stepMs : stepMs * 0.6));
  }
  await load.stop();
  sampling = false;
  await sampler;
  return { outcomes: load.outcomes, steps };
}

function manifest(echoPath: string, httpPort: number): string {
  return autoscaledHttpAppYaml({
    name: APP,
    image: echoPath,
    httpPort,
    autoscaler: { min: 0, max: MAX_INSTANCES, targetConcurrency: 2, scaleDownDelay: '2s' },
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function stepStats(outcomes: readonly Outcome[], step: number) {
  const mine = outcomes.filter((outcome) => outcome.step === step);
  const sorted = mine.map((outcome) => outcome.ms).sort((a, b) => a - b);
  return {
    requests: mine.length,
    failed: mine.filter((outcome) => !outcome.ok).length,
    p50: sorted.length === 0 ? Number.NaN : percentile(sorted, 0.5),
    p99: sorted.length === 0 ? Number.NaN : percentile(sorted, 0.99),
  };
}

export async function runRampBench(): Promise<void> {
  const stepMs = Number(process.env.RAMP_BENCH_STEP_MS ?? 2500);
  const nats = await startNatsServer();
  const nc = await connectNats({ url: nats.url });
  const client = new ControlClient(nc, { latticePrefix: LATTICE, timeoutMs: 5_000 });
  const echoPath = join(REPO_ROOT, 'actors', 'build', 'wasmbus-echo_s.wasm');
  const echoKey = verifySignedWasm(builtActor('wasmbus-echo')).claims.sub;
  let host: HostProcess | undefined;
  let controller: ControllerProcess | undefined;
  let fastify: ChildProcess | undefined;
  try {
    const [httpPort, fastifyPort] = [await freePort(), await freePort()];
    fastify = spawn(process.execPath, [BASELINE_SERVER, 'plain', String(fastifyPort)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    host = await startHostProcess({
      env: { WASMCLOUD_DASHBOARD_PORT: 'off' },
      args: ['--rpc-port', String(nats.port), '--lattice-prefix', LATTICE, '--allow-file-load'],
      timeoutMs: 60_000,
    });
    const hostId = host.id;
    controller = await startControllerProcess({
      natsPort: nats.port,
      replicaId: 'ramp',
      latticePrefix: LATTICE,
    });
    const wadm = new WadmClient(nc, { latticePrefix: LATTICE, timeoutMs: 10_000 });
    await wadm.put(new TextEncoder().encode(manifest(echoPath, httpPort)));
    await wadm.deploy(APP);
    const echoLoad = async () => (await client.getLoad(hostId)).actors.find((actor) => actor.id === echoKey);
    await until('the echo dormant after the deploy', async () => (await echoLoad())?.scaled_to_zero === true);
    const [ready] = (await once(fastify.stdout!, 'data')) as [Buffer];
    if (!ready.toString().includes('ready')) throw new Error(`fastify baseline: ${ready.toString()}`);

    console.log(
      `\nRamp through the built-in httpserver: wasmbus echo, autoscaler min 0 / max ${MAX_INSTANCES} / targetConcurrency 2 / scaleDownDelay 2s (controller process, host process; load from this process); in flight ${UP.join('→')}→${DOWN.join('→')}, ${stepMs} ms per step up, ${stepMs * 0.6} ms down; beside plain fastify`,
    );
    const timeline: string[] = [];
    const instancesByStep = new Map<number, number>();
    const ours = await ramp(`http://127.0.0.1:${httpPort}/`, stepMs, async (second, step) => {
      // A host too busy to answer this second is shown as 0 instances; the next sample tells.
      const entry = await echoLoad().catch(() => undefined);
      const instances = entry?.instances ?? 0;
      timeline.push(
        `${second}s:${instances}${entry?.scaled_to_zero ? 'z' : ''}/${(entry?.in_flight ?? 0) + (entry?.queued ?? 0)}`,
      );
      instancesByStep.set(step, Math.max(instancesByStep.get(step) ?? 0, instances));
    });
    // Back to zero once idle: sampled each second until dormant (at most 15 s).
    const idleFrom = Date.now();
    for (let second = 1; second <= 15; second++) {
      await new Promise((resolve) => setTimeout(resolve, idleFrom + second * 1000 - Date.now()));
      // A host too busy to answer this second is shown as 0 instances; the next sample tells.
      const entry = await echoLoad().catch(() => undefined);
      timeline.push(`idle+${second}s:${entry?.instances ?? 0}${entry?.scaled_to_zero ? 'z' : ''}`);
      if (entry?.scaled_to_zero) break;
    }
    const baseline = await ramp(`http://127.0.0.1:${fastifyPort}/`, stepMs, async () => undefined);

    console.log(`instances each second (instances[z = dormant]/in flight + queued): ${timeline.join(' ')}`);
    const header = [
      'step',
      'in flight',
      'instances',
      'ours reqs',
      'ours p50',
      'ours p99',
      'ours failed',
      'fastify reqs',
      'fastify p50',
      'fastify p99',
      'fastify failed',
    ];
    const lines = ours.steps.map((inFlight, step) => {
      const a = stepStats(ours.outcomes, step);
      const b = stepStats(baseline.outcomes, step);
      return [
        step < UP.length ? `up ${step + 1}` : `down ${step - UP.length + 1}`,
        String(inFlight),
        instancesByStep.has(step) ? String(instancesByStep.get(step)) : '-',
        String(a.requests),
        a.p50.toFixed(2),
        a.p99.toFixed(2),
        String(a.failed),
        String(b.requests),
        b.p50.toFixed(2),
        b.p99.toFixed(2),
        String(b.failed),
      ];
    });
    const widths = header.map((cell, i) => Math.max(cell.length, ...lines.map((line) => line[i]!.length)));
    for (const line of [header, ...lines])
      console.log(line.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
    const failed = ours.outcomes.filter((outcome) => !outcome.ok).length;
    console.log(
      `ours: ${ours.outcomes.length} requests, ${failed} failed (target 0 below the queue bound of 100 per actor and worker); fastify: ${baseline.outcomes.length} requests, ${baseline.outcomes.filter((outcome) => !outcome.ok).length} failed; latencies in ms`,
    );
  } finally {
    if (fastify) await stopChild(fastify);
    await controller?.stop('SIGKILL');
    await host?.stop();
    await nc.close();
    await nats.stop();
  }
}
