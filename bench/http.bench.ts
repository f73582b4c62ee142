// The HTTP path (issue 5): GET / through the httpserver provider process → NATS → a host process
// → the echo actor and back, with invocation signing (provider) and verification (host) on; and
// through the host's built-in httpserver (wasmcloud+builtin://httpserver, issue 15): each host
// worker listens itself and runs the actor in its own thread, no NATS, no signing. Beside
// two baselines in the same run: plain fastify answering the same JSON, and fastify → one NATS
// request → a trivial responder process. And the kvcounter actor (each request a revision-checked
// KeyValue.Increment in JetStream KV) through the httpserver and keyvalue provider processes beside
// the same through the built-in httpserver + built-in keyvalue (issue 15, item 3), where the actor's
// KeyValue call is answered in its own worker. N keep-alive connections with one request in flight
// each; the built-in → the C echo also on a host with WASMCLOUD_INVOCATION_EVENTS=off (the others
// publish an invocation event per request, the 2022 default) and on one with WASMCLOUD_METRICS_ENABLED=false
// (the others count every call for /metrics, issue 17), and on one recording traces at 100 %
// sampling, exported to a sink process (the others record none, issue 17); cases interleaved in rounds so a noisy
// neighbour slows each alike. Then where the CPU
// goes: each process's CPU time per request, read from /proc around every round, and the parts
// of the hot path measured alone.
//
// HTTP_BENCH_CONNECTIONS (default "32,64"), HTTP_BENCH_ROUNDS (4), HTTP_BENCH_SECONDS (2).

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { InvocationMetrics } from '../host/telemetry/invocation-metrics.ts';
import { builtinProviderKey } from '../lattice/builtin-providers.ts';
import { verifySignedWasm } from '../lattice/claims.ts';
import { hostPingReplySchema } from '../lattice/control.ts';
import { errorMessage } from '../lattice/errors.ts';
import { decodeHttpResponse, encodeHttpRequest } from '../lattice/httpserver/http-contract.ts';
import { actorEntity, decodeInvocation, encodeInvocation, providerEntity } from '../lattice/invocation.ts';
import { InvocationSigner } from '../lattice/invocation-signer.ts';
import { validateInvocation } from '../lattice/invocation-validation.ts';
import { KeyPair } from '../lattice/keys.ts';
import { connectNats, type NatsConnection } from '../lattice/nats.ts';
import { encodePayload } from '../lattice/payload.ts';
import { latticeSubjects } from '../lattice/subjects.ts';
import { buildProvider } from '../providers/build.ts';
import { builtActor, signForTest, unsignedActor } from '../test/helpers/actors.ts';
import { freePort, startNatsServer } from '../test/helpers/nats-server.ts';
import { stopChild } from './child-processes.ts';
import { measure, percentile } from './harness.ts';
import { type LoadResult, runLoad } from './http-load.ts';

const LATTICE = 'httpbench';
const SUBJECT = 'bench.http';
const HOST_MAIN = new URL('../host/main.ts', import.meta.url).pathname;
const RESPONDER = new URL('./nats-responder.ts', import.meta.url).pathname;
const BASELINE_SERVER = new URL('./http-baseline-server.ts', import.meta.url).pathname;
const OTLP_SINK = new URL('./otlp-sink.ts', import.meta.url).pathname;
const EXPECTED = '{"body":[],"method":"GET","path":"/","query_string":""}';
/** What kvcounter answers: the count after its increment. */
const COUNTER_BODY = /^\{"counter":\d+\}$/;
const KVCOUNTER_EXTERNAL = 'kvcounter: httpserver + keyvalue processes';
const KVCOUNTER_BUILTIN = 'kvcounter: built-in httpserver + keyvalue';
const TARGET_RPS_RATIO = 0.4;
const TARGET_P99_RATIO = 3;
/** The case the targets are about: the provider → host → the C echo (cases[0] is the baseline). */
const TARGET_CASE = 2;
/** The built-in's link name (the provider process has `default`). */
const BUILTIN_LINK = 'builtin';
/** The built-in → the C echo on a host with WASMCLOUD_METRICS_ENABLED=false (the others count). */
const METRICS_OFF = 'built-in httpserver → wasmbus-echo, metrics off';
/** Issue 17: metrics may cost at most 5 % of the req/s. */
const METRICS_TARGET_COST = 0.05;
/** The built-in → the C echo on a host recording every request's spans (issue 17, item 8: reported). */
const TRACED = 'built-in httpserver → wasmbus-echo, traces at 100 %';
/** Issue 15's targets for the built-in → the C echo: ≥ 0.5× plain fastify's req/s, p99 ≤ 2× its, ≥ 3× the provider process. */
const BUILTIN_TARGET_VS_FASTIFY = 0.5;
const BUILTIN_TARGET_VS_PROCESS = 3;
const BUILTIN_TARGET_P99 = 2;

function spawnNode(args: string[]): ChildProcess {
  return spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
}

async function waitForLine(child: ChildProcess, pattern: RegExp): Promise<void> {
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) if (pattern.test(line)) return;
  throw new Error(`child exited before printing ${pattern}`);
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function retry<T>(what: string, attempt: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what}: ${errorMessage(error)}`, { cause: error });
      await delay(100);
    }
  }
}

async function control(nc: NatsConnection, subject: string, body: unknown): Promise<void> {
  const reply = await nc.request(subject, new TextEncoder().encode(JSON.stringify(body)), { timeout: 5_000 });
  const ack = JSON.parse(new TextDecoder().decode(reply.data)) as { accepted: boolean; error: string };
  if (!ack.accepted) throw new Error(`${subject} refused: ${ack.error}`);
}

// ---- CPU time per process, from /proc ----

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** User + system CPU of a process (all its threads) in µs; 10 ms resolution. */
function cpuMicros(pid: number, statFile = `/proc/${pid}/stat`): number {
  const stat = readFileSync(statFile, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1e6;
}

/** CPU µs of each thread of a process, summed by thread name (MainThread, WorkerThread, V8Worker, …). */
function threadCpuMicros(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      byName.set(name, (byName.get(name) ?? 0) + cpuMicros(Number(tid), `/proc/${pid}/task/${tid}/stat`));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return byName;
}

/** The PID of the one process whose command line contains every one of `parts`. */
function findPid(parts: string[], except: string[] = []): number {
  const found = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
        return (
          parts.every((part) => cmdline.includes(part)) && !except.some((part) => cmdline.includes(part))
        );
      } catch {
        return false;
      }
    });
  if (found.length !== 1)
    throw new Error(`expected one process with ${parts.join(' ')}, found ${found.length}`);
  return Number(found[0]);
}

/** A process whose CPU is counted; `self` is this process (the load generator). */
interface CountedProcess {
  name: string;
  pid: number | 'self';
  /** Also count its threads by name, as `{name}/{thread}`. */
  byThread?: boolean;
}

/** CPU µs used so far by each counted process (and thread group). */
function cpuSnapshot(processes: readonly CountedProcess[]): Map<string, number> {
  const snapshot = new Map<string, number>();
  for (const counted of processes) {
    if (counted.pid === 'self') {
      const usage = process.cpuUsage();
      snapshot.set(counted.name, usage.user + usage.system);
      continue;
    }
    snapshot.set(counted.name, cpuMicros(counted.pid));
    if (counted.byThread)
      for (const [thread, micros] of threadCpuMicros(counted.pid))
        snapshot.set(`${counted.name}/${thread}`, micros);
  }
  return snapshot;
}

// ---- the cases ----

interface Case {
  name: string;
  port: number;
  processes: CountedProcess[];
  /** What every reply carries; default the echo JSON. */
  expectBody?: RegExp;
}

interface CaseResult {
  rates: number[];
  latencies: number[];
  requests: number;
  failures: number;
  cpu: Map<string, number>;
}

async function runRound(entry: Case, connections: number, seconds: number, into: CaseResult): Promise<void> {
  const before = cpuSnapshot(entry.processes);
  const load: LoadResult = await runLoad({
    port: entry.port,
    path: '/',
    connections,
    durationMs: seconds * 1000,
    expectBody: entry.expectBody ?? EXPECTED,
  });
  for (const [name, micros] of cpuSnapshot(entry.processes))
    into.cpu.set(name, (into.cpu.get(name) ?? 0) + micros - (before.get(name) ?? 0));
  into.rates.push(load.requests / load.seconds);
  // A loop, not push(...): a round of a fast case has more latencies than a call's arguments may be.
  for (const latency of load.latencies) into.latencies.push(latency);
  into.requests += load.requests;
  into.failures += load.failures;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
}

function report(cases: readonly Case[], results: readonly CaseResult[], connections: number): void {
  const baseline = results[0]!;
  const baseRate = median(baseline.rates);
  const sortedBase = [...baseline.latencies].sort((a, b) => a - b);
  const base99 = percentile(sortedBase, 0.99);
  const rows = cases.map((entry, i) => {
    const result = results[i]!;
    const sorted = [...result.latencies].sort((a, b) => a - b);
    const rate = median(result.rates);
    return [
      entry.name,
      Math.round(rate).toLocaleString('en'),
      percentile(sorted, 0.5).toFixed(0),
      percentile(sorted, 0.99).toFixed(0),
      `${(rate / baseRate).toFixed(2)}×`,
      `${(percentile(sorted, 0.99) / base99).toFixed(2)}×`,
      String(result.failures),
    ];
  });
  console.log(`\n${connections} requests in flight (keep-alive connections)`);
  printTable(['case', 'req/s', 'p50 µs', 'p99 µs', 'req/s ratio', 'p99 ratio', 'non-200'], rows);

  const ours = results[TARGET_CASE]!;
  const oursSorted = [...ours.latencies].sort((a, b) => a - b);
  const rpsRatio = median(ours.rates) / baseRate;
  const p99Ratio = percentile(oursSorted, 0.99) / base99;
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(
    `target (${cases[TARGET_CASE]!.name} vs ${cases[0]!.name}): req/s ≥ ${TARGET_RPS_RATIO}× → ${rpsRatio.toFixed(2)}× ${verdict(rpsRatio >= TARGET_RPS_RATIO)}; ` +
      `p99 ≤ ${TARGET_P99_RATIO}× → ${p99Ratio.toFixed(2)}× ${verdict(p99Ratio <= TARGET_P99_RATIO)}`,
  );

  const resultOf = (name: string) => {
    const index = cases.findIndex((entry) => entry.name === name);
    if (index < 0) return undefined;
    const result = results[index]!;
    const sorted = [...result.latencies].sort((x, y) => x - y);
    return { rate: median(result.rates), p99: percentile(sorted, 0.99) };
  };
  const builtin = resultOf('built-in httpserver → wasmbus-echo');
  const plain = resultOf('plain fastify');
  const viaProcess = resultOf('httpserver → host → wasmbus-echo');
  if (builtin !== undefined && plain !== undefined && viaProcess !== undefined) {
    const vsFastify = builtin.rate / plain.rate;
    const vsProcess = builtin.rate / viaProcess.rate;
    const p99VsFastify = builtin.p99 / plain.p99;
    console.log(
      `built-in → wasmbus-echo: req/s ${vsFastify.toFixed(2)}× plain fastify (target ≥ ${BUILTIN_TARGET_VS_FASTIFY}: ${verdict(vsFastify >= BUILTIN_TARGET_VS_FASTIFY)}), ` +
        `p99 ${p99VsFastify.toFixed(2)}× plain fastify's (target ≤ ${BUILTIN_TARGET_P99}: ${verdict(p99VsFastify <= BUILTIN_TARGET_P99)}), ` +
        `req/s ${vsProcess.toFixed(2)}× the provider process (target ≥ ${BUILTIN_TARGET_VS_PROCESS}: ${verdict(vsProcess >= BUILTIN_TARGET_VS_PROCESS)})`,
    );
  }

  const withoutMetrics = resultOf(METRICS_OFF);
  if (builtin !== undefined && withoutMetrics !== undefined) {
    // Two host processes: on a busy machine their difference is mostly noise; the part measured
    // alone below ("count the call for the metrics") is the steadier figure.
    const ratio = builtin.rate / withoutMetrics.rate;
    console.log(
      `metrics on vs off (built-in → wasmbus-echo, two hosts): req/s ${ratio.toFixed(3)}× ` +
        `(target ≥ ${1 - METRICS_TARGET_COST}: ${verdict(ratio >= 1 - METRICS_TARGET_COST)}), ` +
        `p99 ${(builtin.p99 / withoutMetrics.p99).toFixed(2)}×`,
    );
  }

  const withTraces = resultOf(TRACED);
  if (builtin !== undefined && withTraces !== undefined)
    console.log(
      `traces at 100 % vs off (built-in → wasmbus-echo, two hosts, 2 spans per request): req/s ` +
        `${(withTraces.rate / builtin.rate).toFixed(3)}×, p99 ${(withTraces.p99 / builtin.p99).toFixed(2)}×`,
    );

  const kvExternal = resultOf(KVCOUNTER_EXTERNAL);
  const kvBuiltin = resultOf(KVCOUNTER_BUILTIN);
  if (kvExternal !== undefined && kvBuiltin !== undefined)
    console.log(
      `kvcounter, built-ins vs provider processes: req/s ${(kvBuiltin.rate / kvExternal.rate).toFixed(2)}×, ` +
        `p99 ${(kvBuiltin.p99 / kvExternal.p99).toFixed(2)}×`,
    );

  console.log('\nCPU per request (µs, each process over all rounds; /proc, 10 ms ticks)');
  const names = [...new Set(cases.flatMap((entry) => entry.processes.map((p) => p.name)))];
  const cpuRows = cases.map((entry, i) => {
    const result = results[i]!;
    const per = (name: string) => {
      const total = result.cpu.get(name);
      return total === undefined ? '' : (total / result.requests).toFixed(0);
    };
    const sum = names.reduce((total, name) => total + (result.cpu.get(name) ?? 0), 0) / result.requests;
    return [entry.name, ...names.map(per), sum.toFixed(0)];
  });
  printTable(['case', ...names, 'total'], cpuRows);
  for (const [i, entry] of cases.entries()) {
    for (const counted of entry.processes.filter((p) => p.byThread)) {
      const threads = [...results[i]!.cpu]
        .filter(([name, micros]) => name.startsWith(`${counted.name}/`) && micros / results[i]!.requests >= 1)
        .sort((a, b) => b[1] - a[1])
        .map(
          ([name, micros]) =>
            `${name.slice(counted.name.length + 1)} ${(micros / results[i]!.requests).toFixed(0)}`,
        );
      console.log(`  ${counted.name} by thread: ${threads.join(', ')}`);
    }
  }
}

/** The hot path's parts, measured alone in this process. */
function measureParts(clusterKey: KeyPair, hostId: string, actorId: string, providerKey: string): void {
  const signer = new InvocationSigner(clusterKey, hostId);
  const origin = providerEntity(providerKey, 'wasmcloud:httpserver', 'default');
  const request = {
    method: 'GET',
    path: '/',
    queryString: '',
    header: { host: ['127.0.0.1:8080'] },
    body: new Uint8Array(0),
  };
  const payload = encodeHttpRequest(request);
  const response = encodePayload({
    statusCode: 200,
    header: { 'content-type': ['application/json'] },
    body: new TextEncoder().encode(EXPECTED),
  });
  const sign = () =>
    signer.sign({
      origin,
      target: actorEntity(actorId),
      operation: 'HttpServer.HandleRequest',
      msg: payload,
    });
  const invocation = sign();
  const issuers = new Set([clusterKey.publicKey]);
  const metrics = new InvocationMetrics();
  const parts = [
    measure('sign the invocation (provider)', sign),
    measure('verify the invocation (host worker)', () =>
      validateInvocation(invocation, { clusterIssuers: issuers }),
    ),
    measure('HttpRequest encode + HttpResponse decode (provider)', () => {
      encodeHttpRequest(request);
      decodeHttpResponse(response);
    }),
    measure('Invocation encode + decode', () => decodeInvocation(encodeInvocation(invocation))),
    // What WASMCLOUD_METRICS_ENABLED costs a worker per call served: its duration and its caller counted.
    measure('count the call for the metrics (host worker)', () => {
      metrics.served(actorId, 'HttpServer.HandleRequest', 48_000, true);
      metrics.calledBy(actorId, 'HttpServer.HandleRequest', origin);
    }),
  ];
  console.log('\nparts of the hot path measured alone (µs per request)');
  for (const part of parts) console.log(`  ${part.name.padEnd(52)} ${part.microseconds.toFixed(1)}`);
}

export async function runHttpBench(): Promise<void> {
  const connectionCounts = (process.env.HTTP_BENCH_CONNECTIONS ?? '32,64').split(',').map(Number);
  const rounds = Number(process.env.HTTP_BENCH_ROUNDS ?? 4);
  const seconds = Number(process.env.HTTP_BENCH_SECONDS ?? 2);
  const nats = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-httpbench-'));
  const clusterKey = KeyPair.create('cluster');
  const subjects = latticeSubjects(LATTICE);
  const children: ChildProcess[] = [];
  const start = (args: string[]) => {
    const child = spawnNode(args);
    children.push(child);
    return child;
  };
  let nc: NatsConnection | undefined;
  try {
    const provider = await buildProvider('httpserver');
    const actors = await Promise.all(
      ['wasmbus-echo', 'echo'].map(async (name) => {
        const bytes = builtActor(name);
        const path = join(dir, `${name}.wasm`);
        writeFileSync(path, bytes);
        return {
          name,
          path,
          id: verifySignedWasm(bytes).claims.sub,
          port: await freePort(),
          builtinPort: await freePort(),
        };
      }),
    );
    const [plainPort, natsPort] = [await freePort(), await freePort()];

    const responder = start([RESPONDER, nats.url, SUBJECT]);
    const plain = start([BASELINE_SERVER, 'plain', String(plainPort)]);
    const viaNats = start([BASELINE_SERVER, 'nats', String(natsPort), nats.url, SUBJECT]);
    const hostArgs = ['--rpc-port', String(nats.port), '--lattice-prefix', LATTICE, '--allow-file-load'];
    const host = spawn(
      process.execPath,
      [HOST_MAIN, ...hostArgs, '--cluster-seed', clusterKey.seed, '--log-level', 'warn'],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    children.push(host);
    await Promise.all([responder, plain, viaNats].map((child) => waitForLine(child, /ready/)));
    nc = await connectNats({ url: nats.url });
    const hostId = await retry('the host did not answer a ping', async () => {
      const reply = await nc!.request(subjects.ctl.ping(), new Uint8Array(), { timeout: 300 });
      return hostPingReplySchema.parse(JSON.parse(new TextDecoder().decode(reply.data))).id;
    });
    for (const actor of actors)
      await control(nc, subjects.ctl.launchActor(hostId), { actor_ref: actor.path });
    await control(nc, subjects.ctl.launchProvider(hostId), {
      provider_ref: provider.path,
      link_name: 'default',
    });
    for (const actor of actors) {
      await control(nc, subjects.ctl.linkPut(), {
        actor_id: actor.id,
        provider_id: provider.providerKey,
        contract_id: 'wasmcloud:httpserver',
        link_name: 'default',
        values: { ADDRESS: `127.0.0.1:${actor.port}` },
      });
      await retry(`the httpserver did not answer through ${actor.name}`, async () => {
        const response = await fetch(`http://127.0.0.1:${actor.port}/`);
        const body = await response.text();
        if (body !== EXPECTED) throw new Error(`got ${response.status} ${body}`);
      });
    }

    // The built-in under its own link name, so each actor has a link to both forms.
    const builtinKey = builtinProviderKey(clusterKey.seed, 'httpserver').publicKey;
    await control(nc, subjects.ctl.launchProvider(hostId), {
      provider_ref: 'wasmcloud+builtin://httpserver',
      link_name: BUILTIN_LINK,
    });
    for (const actor of actors) {
      await retry('the built-in httpserver did not take the link', async () => {
        await control(nc!, subjects.ctl.linkPut(), {
          actor_id: actor.id,
          provider_id: builtinKey,
          contract_id: 'wasmcloud:httpserver',
          link_name: BUILTIN_LINK,
          values: { ADDRESS: `127.0.0.1:${actor.builtinPort}` },
        });
        const response = await fetch(`http://127.0.0.1:${actor.builtinPort}/`);
        const body = await response.text();
        if (body !== EXPECTED) throw new Error(`got ${response.status} ${body}`);
      });
    }

    // The same built-in → wasmbus-echo on hosts that differ in one setting (a lattice of their own
    // each, so the link and listener are theirs): what an event per request costs (events off), and
    // what the metrics cost (metrics off; the main host counts, the default).
    const echo = actors.find((actor) => actor.name === 'wasmbus-echo')!;
    const variantHost = async (suffix: string, settingArgs: string[], env: Record<string, string> = {}) => {
      const lattice = latticeSubjects(`${LATTICE}-${suffix}`);
      const port = await freePort();
      const child = spawn(
        process.execPath,
        [
          HOST_MAIN,
          ...hostArgs.map((arg) => (arg === LATTICE ? `${LATTICE}-${suffix}` : arg)),
          '--cluster-seed',
          clusterKey.seed,
          '--log-level',
          'warn',
          '--dashboard-port',
          'off',
          ...settingArgs,
        ],
        { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } },
      );
      children.push(child);
      const id = await retry(`the ${suffix} host did not answer a ping`, async () => {
        const reply = await nc!.request(lattice.ctl.ping(), new Uint8Array(), { timeout: 300 });
        return hostPingReplySchema.parse(JSON.parse(new TextDecoder().decode(reply.data))).id;
      });
      await control(nc!, lattice.ctl.launchActor(id), { actor_ref: echo.path });
      await control(nc!, lattice.ctl.launchProvider(id), {
        provider_ref: 'wasmcloud+builtin://httpserver',
        link_name: BUILTIN_LINK,
      });
      await retry(`the ${suffix} built-in httpserver did not take the link`, async () => {
        await control(nc!, lattice.ctl.linkPut(), {
          actor_id: echo.id,
          provider_id: builtinKey,
          contract_id: 'wasmcloud:httpserver',
          link_name: BUILTIN_LINK,
          values: { ADDRESS: `127.0.0.1:${port}` },
        });
        const response = await fetch(`http://127.0.0.1:${port}/`);
        const body = await response.text();
        if (body !== EXPECTED) throw new Error(`got ${response.status} ${body}`);
      });
      return { child, port };
    };
    const eventsOff = await variantHost('off', ['--invocation-events', 'off']);
    const metricsOff = await variantHost('nometrics', ['--enable-metrics', 'false']);
    // Tracing: a host recording both spans of every request (sampling 100 %, the default ratio),
    // exporting to a sink process that reads and drops them.
    const sinkPort = await freePort();
    const sink = spawnNode([OTLP_SINK, String(sinkPort)]);
    children.push(sink);
    await waitForLine(sink, /^ready$/);
    const traced = await variantHost('traced', ['--enable-traces', 'true'], {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${sinkPort}/v1/traces`,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '1',
    });

    // kvcounter twice (two keys, as its KeyValue calls use the link `default`): one linked to the
    // httpserver and keyvalue processes, one to the built-in httpserver and built-in keyvalue.
    const keyvalue = await buildProvider('keyvalue');
    await control(nc, subjects.ctl.launchProvider(hostId), {
      provider_ref: keyvalue.path,
      link_name: 'default',
    });
    await control(nc, subjects.ctl.launchProvider(hostId), {
      provider_ref: 'wasmcloud+builtin://keyvalue',
      link_name: 'default',
    });
    const builtinKeyvalueKey = builtinProviderKey(clusterKey.seed, 'keyvalue').publicKey;
    const counters = await Promise.all(
      [
        {
          name: KVCOUNTER_EXTERNAL,
          http: provider.providerKey,
          httpLink: 'default',
          kv: keyvalue.providerKey,
        },
        { name: KVCOUNTER_BUILTIN, http: builtinKey, httpLink: BUILTIN_LINK, kv: builtinKeyvalueKey },
      ].map(async (counter, index) => {
        const signed = signForTest(unsignedActor('wasmbus-kvcounter'), {
          name: `kvcounter-${index}`,
          caps: ['wasmcloud:httpserver', 'wasmcloud:keyvalue'],
        });
        const path = join(dir, `kvcounter-${index}.wasm`);
        writeFileSync(path, signed.bytes);
        return { ...counter, id: signed.id, path, port: await freePort(), bucket: `httpbench_${index}` };
      }),
    );
    for (const counter of counters) {
      await control(nc, subjects.ctl.launchActor(hostId), { actor_ref: counter.path });
      await retry(`${counter.name}: the links were not taken`, async () => {
        await control(nc!, subjects.ctl.linkPut(), {
          actor_id: counter.id,
          provider_id: counter.kv,
          contract_id: 'wasmcloud:keyvalue',
          link_name: 'default',
          values: { BUCKET: counter.bucket },
        });
        await control(nc!, subjects.ctl.linkPut(), {
          actor_id: counter.id,
          provider_id: counter.http,
          contract_id: 'wasmcloud:httpserver',
          link_name: counter.httpLink,
          values: { ADDRESS: `127.0.0.1:${counter.port}` },
        });
        const response = await fetch(`http://127.0.0.1:${counter.port}/`);
        const body = await response.text();
        if (!COUNTER_BODY.test(body)) throw new Error(`got ${response.status} ${body}`);
      });
    }

    const natsServerPid = findPid(['nats-server', String(nats.port)]);
    const providerPid = findPid([provider.providerKey], ['setpriv']);
    const load: CountedProcess = { name: 'load', pid: 'self' };
    const natsServer: CountedProcess = { name: 'nats-server', pid: natsServerPid };
    const cases: Case[] = [
      {
        name: 'fastify → NATS → responder',
        port: natsPort,
        processes: [
          load,
          { name: 'fastify', pid: viaNats.pid! },
          { name: 'responder', pid: responder.pid! },
          natsServer,
        ],
      },
      { name: 'plain fastify', port: plainPort, processes: [load, { name: 'fastify', pid: plain.pid! }] },
      ...actors.map((actor) => ({
        name: `httpserver → host → ${actor.name}`,
        port: actor.port,
        processes: [
          load,
          { name: 'provider', pid: providerPid, byThread: true },
          { name: 'host', pid: host.pid!, byThread: true },
          natsServer,
        ],
      })),
      ...actors.map((actor) => ({
        name: `built-in httpserver → ${actor.name}`,
        port: actor.builtinPort,
        processes: [load, { name: 'host', pid: host.pid!, byThread: true }, natsServer],
      })),
      {
        name: `built-in httpserver → ${echo.name}, invocation events off`,
        port: eventsOff.port,
        processes: [load, { name: 'host', pid: eventsOff.child.pid!, byThread: true }, natsServer],
      },
      {
        name: METRICS_OFF,
        port: metricsOff.port,
        processes: [load, { name: 'host', pid: metricsOff.child.pid!, byThread: true }, natsServer],
      },
      {
        name: TRACED,
        port: traced.port,
        processes: [load, { name: 'host', pid: traced.child.pid!, byThread: true }, natsServer],
      },
      {
        name: KVCOUNTER_EXTERNAL,
        port: counters[0]!.port,
        expectBody: COUNTER_BODY,
        processes: [
          load,
          { name: 'provider', pid: providerPid, byThread: true },
          { name: 'kv provider', pid: findPid([keyvalue.providerKey], ['setpriv']), byThread: true },
          { name: 'host', pid: host.pid!, byThread: true },
          natsServer,
        ],
      },
      {
        name: KVCOUNTER_BUILTIN,
        port: counters[1]!.port,
        expectBody: COUNTER_BODY,
        processes: [load, { name: 'host', pid: host.pid!, byThread: true }, natsServer],
      },
    ];

    console.log(
      `\nHTTP GET / → the echo JSON (${EXPECTED.length} bytes), invocations signed and verified; ` +
        `${rounds} rounds × ${seconds} s per case, interleaved`,
    );
    for (const connections of connectionCounts) {
      for (const entry of cases)
        await runLoad({
          port: entry.port,
          path: '/',
          connections,
          durationMs: 1000,
          expectBody: entry.expectBody ?? EXPECTED,
        });
      const results: CaseResult[] = cases.map(() => ({
        rates: [],
        latencies: [],
        requests: 0,
        failures: 0,
        cpu: new Map(),
      }));
      for (let round = 0; round < rounds; round++)
        for (const [i, entry] of cases.entries()) await runRound(entry, connections, seconds, results[i]!);
      report(cases, results, connections);
    }
    measureParts(clusterKey, hostId, actors[0]!.id, provider.providerKey);
  } finally {
    await nc?.close();
    for (const child of children.reverse()) await stopChild(child);
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await runHttpBench();
