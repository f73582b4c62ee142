// A host whose OTLP endpoint nobody answers (issue 17, item 4): it warns that it cannot export traces,
// naming the URL, and keeps serving. The host runs as an operator runs it (`node host/main.ts`) with
// structured logging, so this also sees an actor's log line, written during a traced call, carry the
// call's trace_id in the host's JSON lines (item 3).

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { incomingTraceContext, withTraceContext } from '../../lattice/telemetry/trace-context.ts';
import { carryTraceContext } from '../../lattice/telemetry/tracing.ts';
import { builtActor } from '../helpers/actors.ts';
import { eventually } from '../helpers/eventually.ts';
import { type HostProcess, startHostProcess } from '../helpers/host-process.ts';
import { ctlRequest, EventLog, invokeActor } from '../helpers/lattice-client.ts';
import { freePort, type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const LATTICE = 'exporterdown';
const clusterKey = KeyPair.create('cluster');
let nats: NatsServer;
let nc: NatsConnection;
let host: HostProcess | undefined;
let dir: string;
let deadEndpoint: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tracing-exporter-down-'));
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  // A port nothing listens on: every export is refused.
  deadEndpoint = `http://127.0.0.1:${await freePort()}/v1/traces`;
  host = await startHostProcess({
    env: {
      WASMCLOUD_CLUSTER_SEED: clusterKey.seed,
      WASMCLOUD_STRUCTURED_LOGGING_ENABLED: 'true',
      WASMCLOUD_TRACES_ENABLED: 'true',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: deadEndpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
    args: [
      '--rpc-port',
      String(nats.port),
      '--lattice-prefix',
      LATTICE,
      '--allow-file-load',
      '--dashboard-port',
      'off',
    ],
    timeoutMs: 30_000,
  });
}, 60_000);

afterAll(async () => {
  await host?.stop();
  await nc?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('an unreachable OTLP endpoint is a warning, the host keeps serving, and actor log lines carry the trace', async () => {
  const events = new EventLog(nc, LATTICE);
  const bytes = builtActor('wasmbus-kvcounter');
  const path = join(dir, 'kvcounter.wasm');
  writeFileSync(path, bytes);
  const actorId = verifySignedWasm(bytes).claims.sub;
  expect(
    await ctlRequest(nc, latticeSubjects(LATTICE).ctl.launchActor(host!.id), { actor_ref: path }),
  ).toMatchObject({
    accepted: true,
  });
  await eventually(() => events.named('actor_started').length > 0, 'the actor to start');

  // A call made in the trace of a client of our own: its span goes to the dead endpoint.
  carryTraceContext();
  const traceId = randomBytes(16).toString('hex');
  const parent = incomingTraceContext(undefined, {
    traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
  });
  const log = () =>
    withTraceContext(parent, () =>
      invokeActor(
        nc,
        LATTICE,
        clusterKey,
        actorId,
        'Test.Log',
        new TextEncoder().encode(`traced line ${traceId}`),
      ),
    );
  await log();

  const lines = () =>
    host!
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const warning = await eventually(
    () =>
      lines().find(
        (line) =>
          line.level === 'warn' && String(line.message).includes(`cannot export traces to ${deadEndpoint}`),
      ),
    'the exporter warning',
    20_000,
  );
  expect(warning).toMatchObject({ signal: 'traces', url: deadEndpoint });
  // The actor's line names the trace of the call that wrote it.
  const actorLine = lines().find((line) => line.message === `traced line ${traceId}`);
  expect(actorLine).toMatchObject({ actor: actorId, trace_id: traceId });
  expect(String(actorLine?.span_id)).toMatch(/^[0-9a-f]{16}$/);

  // Still serving, still running.
  await log();
  expect(host!.child.exitCode).toBeNull();
  // The line travels worker → main thread → stdout → this test after the call's reply: wait for it.
  await eventually(
    () => lines().filter((line) => line.message === `traced line ${traceId}`).length === 2,
    'the second traced line',
    20_000,
  );
}, 60_000);
