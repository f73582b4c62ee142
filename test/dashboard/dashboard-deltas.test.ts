// The live feed at scale (issue 19, item 2): with hundreds of actors and a thousand links, a page
// gets the whole state once and then deltas — a link put, a link deleted, an actor stopped each
// arrive as a few changed entries, far smaller than the state — and the page's own code
// (public/lattice-delta.js) rebuilds from them exactly the state a fresh GET /api/lattice answers.
// GET /api/lattice pages one section on request, filtered, in the document's order.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LatticeSectionPage, LatticeSnapshot } from '../../dashboard/page-data.ts';
import { ControlClient } from '../../lattice/control-client.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { apiGet, pageApplyDelta, StateStream, startDashboardHost } from '../helpers/dashboard-client.ts';
import type { TestHost } from '../helpers/host.ts';
import { fillLattice, type LargeLattice } from '../helpers/large-lattice.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const LATTICE = 'dashdeltas';
const ACTORS = 200;
const LINKS = 1000;

let nats: NatsServer;
let nc: NatsConnection;
let testHost: TestHost;
let base: string;
let dir: string;
let made: LargeLattice;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-dashdeltas-'));
  testHost = await startDashboardHost(nats.url, LATTICE);
  base = testHost.host.dashboardUrl ?? '';
  made = await fillLattice(nc, LATTICE, testHost, dir, { actors: ACTORS, links: LINKS });
  for (;;) {
    const { body } = await apiGet<LatticeSnapshot>(base, '/api/lattice');
    if (body.actors.length === ACTORS && body.links.length === LINKS) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 60_000);

afterAll(async () => {
  await testHost?.host.stop();
  await nc?.close();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A state without what moves with the clock alone (uptime, last seen, when it was made). */
function steady(state: LatticeSnapshot) {
  return {
    ...state,
    generated_at: '',
    hosts: state.hosts.map(({ uptime_seconds: _uptime, last_seen: _seen, ...rest }) => rest),
  };
}

describe('the live feed', () => {
  test('changes arrive as deltas, and first state + deltas rebuild what a fresh snapshot shows', async () => {
    const stream = await StateStream.open(base);
    try {
      const first = await stream.waitFor((state) => state.links.length === LINKS, 'every link');
      const firstBytes = JSON.stringify(first).length;
      const data = testHost.host.latticeData;

      const actorId = KeyPair.create('module').publicKey;
      await data.putLink({
        actor_id: actorId,
        provider_id: made.providerIds[0] as string,
        contract_id: 'wasmcloud:keyvalue',
        link_name: 'default',
        values: {},
      });
      const linked = await stream.waitFor(
        (state) => state.links.some((l) => l.actor_id === actorId),
        'the link',
      );
      const linkDelta = stream.deltas.find((delta) =>
        delta.links?.changed.some((link) => link.actor_id === actorId),
      );
      expect(linkDelta?.links).toMatchObject({ changed: [{ actor_id: actorId }], removed: [] });
      expect(linkDelta?.actors).toBeUndefined();
      expect(JSON.stringify(linkDelta).length).toBeLessThan(firstBytes / 50);
      expect(linked.links).toHaveLength(LINKS + 1);

      const gone = first.links[10];
      await data.deleteLink(gone?.actor_id ?? '', gone?.contract_id ?? '', gone?.link_name ?? '');
      await stream.waitFor((state) => !state.links.some((link) => link.id === gone?.id), 'the link deleted');
      expect(stream.deltas.some((delta) => delta.links?.removed.includes(gone?.id ?? ''))).toBe(true);

      const stopped = made.actorIds[3] as string;
      const client = new ControlClient(nc, { latticePrefix: LATTICE, timeoutMs: 10_000 });
      await client.stopActor(testHost.id, stopped, 0);
      await stream.waitFor(
        (state) =>
          !state.actors.some((actor) => actor.id === stopped) &&
          state.links.some((link) => link.actor_id === stopped && !link.actor_running),
        'the actor stopped (its links not running)',
      );
      expect(stream.deltas.some((delta) => delta.actors?.removed.includes(stopped))).toBe(true);

      // A fresh snapshot is numbered by the feed: the stream reaches the same version.
      const fresh = (await apiGet<LatticeSnapshot>(base, '/api/lattice')).body;
      const rebuilt = await stream.waitFor(
        (state) => state.version === fresh.version,
        `version ${fresh.version}`,
      );
      expect(steady(rebuilt)).toEqual(steady(fresh));
      expect(stream.deltas.length).toBeGreaterThanOrEqual(3);
      expect(stream.deltas.every((delta) => delta.version === delta.base + 1)).toBe(true);
    } finally {
      await stream.close();
    }
  }, 45_000);

  test('a delta for another version is refused, so the page asks for the whole state again', async () => {
    const applyDelta = await pageApplyDelta();
    const state = (await apiGet<LatticeSnapshot>(base, '/api/lattice')).body;
    const delta = { version: state.version + 2, base: state.version + 1, generated_at: state.generated_at };
    expect(applyDelta(state, delta)).toBeUndefined();
    expect(applyDelta(state, { ...delta, base: state.version, version: state.version + 1 })?.links).toEqual(
      state.links,
    );
  });
});

test("the page's stream (?state=none) starts without the whole state; another value is refused", async () => {
  const controller = new AbortController();
  const response = await fetch(`${base}/api/events?state=none`, { signal: controller.signal });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  while (!text.includes('event: metrics')) text += new TextDecoder().decode((await reader.read()).value);
  controller.abort();
  expect(text).not.toContain('event: state');
  const bad = await apiGet<{ error: { issues: Array<{ path: string }> } }>(base, '/api/events?state=half');
  expect(bad.status).toBe(400);
  expect(bad.body.error.issues.map((issue) => issue.path)).toEqual(['state']);
});

describe('GET /api/lattice, one section at a time', () => {
  test('a page of a section is that slice of the document, filtered on request', async () => {
    const whole = (await apiGet<LatticeSnapshot>(base, '/api/lattice')).body;
    const page = (await apiGet<LatticeSectionPage>(base, '/api/lattice?section=links&offset=100&limit=50'))
      .body;
    expect(page).toMatchObject({ section: 'links', total: whole.links.length, offset: 100, limit: 50 });
    expect(page.items).toEqual(whole.links.slice(100, 150));

    const provider = made.providerIds[1] as string;
    const filtered = (
      await apiGet<LatticeSectionPage>(
        base,
        `/api/lattice?section=links&limit=1000&filter=${provider.toLowerCase()}`,
      )
    ).body;
    const expected = whole.links.filter((link) => link.provider_id === provider);
    expect(filtered.total).toBe(expected.length);
    expect(filtered.items).toEqual(expected);

    const actors = (await apiGet<LatticeSectionPage>(base, '/api/lattice?section=actors&filter=scale-0001'))
      .body;
    expect(actors.items.map((item) => 'name' in item && item.name).sort()).toEqual(
      whole.actors.filter((actor) => actor.name.includes('scale-0001')).map((actor) => actor.name),
    );

    const bad = await apiGet<{ error: { code: string; issues: Array<{ path: string }> } }>(
      base,
      '/api/lattice?section=links&limit=5000',
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((issue) => issue.path)).toContain('limit');
  });
});
