// Untrusted input against a host process (issue 12 item 5): a flood of malformed control, RPC and
// event messages, some as large as NATS allows, then idle. Prints the host's RSS before, at its
// peak and after idling, and how much log it wrote (bytes and the longest line), so a leak or a
// log flood shows as numbers. The RSS is read from /proc, so only the host process is measured.
//
// `npm run bench -- flood`; FLOOD_ROUNDS (default 2), FLOOD_MESSAGES (per round, default 10000),
// FLOOD_IDLE_SECONDS (after each round, default 20) and FLOOD_ONLY (control, rpc or events) change
// the run; FLOOD_HOST_MAIN runs another host entry point (an older checkout's host/main.ts, to
// compare); FLOOD_HEAP_SNAPSHOT=1 also has the host write a heap snapshot after idling (through
// --heapsnapshot-signal, which collects garbage first) and prints where it is.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifySignedWasm } from '../lattice/claims.ts';
import { hostPingReplySchema } from '../lattice/control.ts';
import { encodeJsonMessage } from '../lattice/json-message.ts';
import { KeyPair } from '../lattice/keys.ts';
import { connectNats, createInbox, type NatsConnection } from '../lattice/nats.ts';
import { latticeSubjects } from '../lattice/subjects.ts';
import { builtActor } from '../test/helpers/actors.ts';
import { startNatsServer } from '../test/helpers/nats-server.ts';

const LATTICE = 'flood';
const ACTOR = 'wasmbus-kvcounter';
const HOST_MAIN = process.env.FLOOD_HOST_MAIN ?? new URL('../host/main.ts', import.meta.url).pathname;
/** nats-server's default max_payload is 1 MiB; leave room for the subject and headers. */
const LARGEST = 1024 * 1024 - 4096;
/** How much more RSS the host may keep once idle after a round (issue 12, item 5). */
const IDLE_TARGET_BYTES = 50 * 1024 * 1024;

/** A small seeded generator, so every run sends the same messages. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return kilobytes === undefined ? 0 : Number(kilobytes) * 1024;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function waitForHost(nc: NatsConnection, timeoutMs: number): Promise<string> {
  const subjects = latticeSubjects(LATTICE);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reply = await nc
      .request(subjects.ctl.ping(), new Uint8Array(), { timeout: 1_000 })
      // No host yet (no responders, or no reply in time): ask again until the deadline.
      .catch(() => undefined);
    if (reply) return hostPingReplySchema.parse(JSON.parse(new TextDecoder().decode(reply.data))).id;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the host did not answer a ping within ${timeoutMs} ms`);
}

interface LogTally {
  bytes: number;
  lines: number;
  longest: number;
  /** The last few KB, to show if the host dies. */
  tail: string;
}

/** Counts the host's log (stderr) without keeping it. */
function tallyLog(child: ChildProcess): LogTally {
  const tally: LogTally = { bytes: 0, lines: 0, longest: 0, tail: '' };
  let current = 0;
  child.stderr?.on('data', (chunk: Buffer) => {
    tally.bytes += chunk.length;
    tally.tail = (tally.tail + chunk.subarray(-4096).toString('utf8')).slice(-4096);
    let from = 0;
    for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, from)) {
      current += at - from;
      tally.longest = Math.max(tally.longest, current);
      tally.lines++;
      current = 0;
      from = at + 1;
    }
    current += chunk.length - from;
  });
  return tally;
}

type Message = { subject: string; data: Uint8Array };

/** The messages of the flood, one kind after another in a seeded shuffle. */
function floodMessages(
  count: number,
  hostId: string,
  actorId: string,
  seed: number,
): () => Message | undefined {
  const subjects = latticeSubjects(LATTICE);
  const next = random(seed);
  const size = () => (next() < 0.03 ? LARGEST - Math.floor(next() * 1000) : Math.floor(next() * 2000));
  const text = (length: number) => 'x'.repeat(Math.max(1, length));
  const json = (value: unknown) => encodeJsonMessage(value);
  const garbage = (length: number) => {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i += 4096) bytes[i] = Math.floor(next() * 256);
    return bytes;
  };
  let serial = 0;
  const kinds: Array<() => Message> = [
    // Parses, so the host tries to start it and fails: a log line and an actor_start_failed.
    () => ({
      subject: subjects.ctl.launchActor(hostId),
      data: json({ actor_ref: `registry.invalid/${text(size())}:${serial}` }),
    }),
    () => ({ subject: subjects.ctl.launchActor(hostId), data: json({ actor_ref: 5, count: 'x' }) }),
    () => ({ subject: subjects.ctl.launchActor(hostId), data: garbage(size()) }),
    () => ({ subject: subjects.ctl.stopActor(hostId), data: json({ actor_ref: text(size()), count: 1 }) }),
    () => ({
      subject: subjects.ctl.scaleActor(hostId),
      data: json({ actor_id: text(size()), actor_ref: text(size()), count: -1 }),
    }),
    () => ({
      subject: subjects.ctl.launchProvider(hostId),
      data: json({ provider_ref: `registry.invalid/${text(size())}`, link_name: `l${serial}` }),
    }),
    () => ({
      subject: subjects.ctl.stopProvider(hostId),
      data: json({ provider_ref: text(size()), link_name: 'default' }),
    }),
    () => ({ subject: subjects.ctl.stopHost(hostId), data: json({ host_id: hostId, timeout: 'soon' }) }),
    () => ({
      subject: subjects.ctl.linkPut(),
      data: json({
        actor_id: actorId,
        provider_id: text(size()),
        contract_id: 'c',
        values: { [text(size())]: 1 },
      }),
    }),
    () => ({ subject: subjects.ctl.linkDel(), data: json({ actor_id: actorId, contract_id: text(size()) }) }),
    () => ({
      subject: subjects.ctl.registriesPut(),
      data: json({ [`r${serial}-${text(size())}`]: 'password' }),
    }),
    () => ({
      subject: subjects.ctl.actorAuction(),
      data: json({ actor_ref: text(size()), constraints: [] }),
    }),
    () => ({
      subject: subjects.ctl.providerAuction(),
      data: json({ provider_ref: text(size()), link_name: 'a b', constraints: {} }),
    }),
    // RPC: bytes that are not an invocation, and an invocation-shaped map that is not signed.
    () => ({ subject: subjects.rpc.actor(actorId), data: garbage(size()) }),
    () => ({ subject: subjects.rpc.actor(actorId), data: garbage(Math.floor(next() * 64)) }),
    // Events the dashboard follows: malformed, and well-formed ones carrying large values.
    () => ({ subject: subjects.events.subject(), data: garbage(size()) }),
    () => ({
      subject: subjects.events.subject(),
      data: json({
        specversion: '1.0',
        type: 'com.wasmcloud.lattice.actor_start_failed',
        source: hostId,
        id: `flood-${serial}`,
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data: { actor_ref: text(size()), error: text(size()) },
      }),
    }),
  ];
  // FLOOD_ONLY=control|rpc|events sends one kind alone, to see which costs what.
  const only = { control: 'wasmbus.ctl.', rpc: 'wasmbus.rpc.', events: 'wasmbus.evt.' }[
    process.env.FLOOD_ONLY ?? ''
  ];
  let sent = 0;
  return () => {
    if (sent >= count) return undefined;
    sent++;
    serial++;
    let message = kinds[Math.floor(next() * kinds.length)]!();
    while (only && !message.subject.startsWith(only)) message = kinds[Math.floor(next() * kinds.length)]!();
    // Two large values can add up past the limit: cut the message (it is malformed anyway).
    if (message.data.length > LARGEST) message.data = message.data.subarray(0, LARGEST);
    return message;
  };
}

export async function runMalformedFloodBench(): Promise<void> {
  const count = Number(process.env.FLOOD_MESSAGES ?? 10_000);
  const idleSeconds = Number(process.env.FLOOD_IDLE_SECONDS ?? 20);
  const rounds = Number(process.env.FLOOD_ROUNDS ?? 2);
  const snapshot = process.env.FLOOD_HEAP_SNAPSHOT === '1';
  const nats = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-flood-'));
  const actorPath = join(dir, `${ACTOR}.wasm`);
  const actorBytes = builtActor(ACTOR);
  writeFileSync(actorPath, actorBytes);
  const actorId = verifySignedWasm(actorBytes).claims.sub;
  const clusterKey = KeyPair.create('cluster');
  const host = spawn(
    process.execPath,
    [
      ...(snapshot ? ['--heapsnapshot-signal=SIGUSR2'] : []),
      HOST_MAIN,
      '--rpc-port',
      String(nats.port),
      '--lattice-prefix',
      LATTICE,
      '--cluster-seed',
      clusterKey.seed,
      '--dashboard-port',
      '0',
    ],
    {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, WASMCLOUD_ALLOW_FILE_LOAD: 'true' },
    },
  );
  const log = tallyLog(host);
  const pid = host.pid!;
  let stopping = false;
  host.on('exit', (code, signal) => {
    if (!stopping)
      console.error(`the host exited (${signal ?? code}); its last log:\n${log.tail.slice(-2000)}`);
  });
  const nc = await connectNats({ url: nats.url });
  const subjects = latticeSubjects(LATTICE);
  try {
    const hostId = await waitForHost(nc, 20_000);
    await nc.request(subjects.ctl.launchActor(hostId), encodeJsonMessage({ actor_ref: actorPath }), {
      timeout: 2_000,
    });
    // Settle: the actor started and the start-up garbage collected as far as it will be.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const before = rssBytes(pid);

    console.log(
      `\nmalformed flood: ${rounds} round(s) of ${count} messages, each followed by ${idleSeconds} s idle`,
    );
    console.log(`  host RSS before            ${mb(before)}`);
    const replies = createInbox();
    nc.subscribe(`${replies}.>`, { callback: () => undefined });
    let index = 0;
    let worstIdle = Number.NEGATIVE_INFINITY;
    for (let round = 1; round <= rounds; round++) {
      let peak = rssBytes(pid);
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssBytes(pid));
      }, 50);
      const logBefore = log.bytes;
      const started = Date.now();
      const nextMessage = floodMessages(count, hostId, actorId, round);
      let sentBytes = 0;
      for (let message = nextMessage(); message; message = nextMessage()) {
        nc.publish(message.subject, message.data, { reply: `${replies}.${index++}` });
        sentBytes += message.data.length;
        if (index % 50 === 0) await nc.flush();
      }
      await nc.flush();
      // The host has worked through the flood once it answers a ping again.
      await waitForHost(nc, 120_000);
      const floodSeconds = (Date.now() - started) / 1000;
      const answering = rssBytes(pid);
      await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
      clearInterval(sampler);
      const idle = rssBytes(pid);
      worstIdle = Math.max(worstIdle, idle - before);
      console.log(`  round ${round}: ${mb(sentBytes)} sent in ${floodSeconds.toFixed(1)} s`);
      console.log(`    host RSS peak            ${mb(peak)}  (+${mb(peak - before)})`);
      console.log(`    host RSS when answering  ${mb(answering)}  (+${mb(answering - before)})`);
      console.log(`    host RSS after idling    ${mb(idle)}  (+${mb(idle - before)})`);
      console.log(
        `    log written              ${mb(log.bytes - logBefore)}, longest line ${log.longest} bytes`,
      );
    }
    // Issue 12, item 5: what a flood made the host take is given back once it is idle.
    const met = worstIdle <= IDLE_TARGET_BYTES ? 'met' : 'NOT met';
    console.log(
      `  target: RSS after idling within ${mb(IDLE_TARGET_BYTES)} of before → +${mb(worstIdle)} at worst, ${met}`,
    );
    if (snapshot) {
      host.kill('SIGUSR2');
      const deadline = Date.now() + 60_000;
      let written: string | undefined;
      let size = -1;
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        written = readdirSync(dir).find((name) => name.endsWith('.heapsnapshot'));
        if (!written) continue;
        const now = statSync(join(dir, written)).size;
        if (now > 0 && now === size) break; // no longer growing: written
        size = now;
      }
      // Writing the snapshot collected garbage first, so this is the RSS of what is really held.
      console.log(`  host RSS after full GC     ${mb(rssBytes(pid))}  (+${mb(rssBytes(pid) - before)})`);
      if (written) {
        const kept = join(tmpdir(), written);
        writeFileSync(kept, readFileSync(join(dir, written)));
        console.log(`  heap snapshot              ${kept}`);
      }
    }
  } finally {
    await nc.close();
    if (host.exitCode === null) {
      stopping = true;
      host.kill('SIGTERM');
      await once(host, 'exit');
    }
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
