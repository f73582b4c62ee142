// The dashboard with a large lattice in a real browser (Debian chromium through playwright-core;
// issue 19, item 2): 1,500 distinct actors and 4,000 link definitions. The page loads, each table
// puts one page of rows in the DOM, Next and the filter box move through them, the picture is a
// summary, scrolling does not stall the page, and a link put elsewhere shows live.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { LatticeSnapshot } from '../../dashboard/page-data.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { ARTIFACTS, type BrowserPage, openBrowserPage } from '../helpers/browser-page.ts';
import { apiGet, startDashboardHost } from '../helpers/dashboard-client.ts';
import type { TestHost } from '../helpers/host.ts';
import { fillLattice, type LargeLattice } from '../helpers/large-lattice.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const LATTICE = 'dashscale';
const ACTORS = 1500;
const LINKS = 4000;
/** The page's rows per table (public/pager.js). */
const PAGE_SIZE = 100;

let nats: NatsServer;
let nc: NatsConnection;
let testHost: TestHost;
let dir: string;
let made: LargeLattice;
let ui: BrowserPage;
let page: Page;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-dashscale-'));
  testHost = await startDashboardHost(nats.url, LATTICE);
  made = await fillLattice(nc, LATTICE, testHost, dir, { actors: ACTORS, links: LINKS });
  const base = testHost.host.dashboardUrl ?? '';
  for (;;) {
    const { body } = await apiGet<LatticeSnapshot>(base, '/api/lattice');
    if (body.actors.length === ACTORS && body.links.length === LINKS) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  ui = await openBrowserPage();
  page = ui.page;
}, 90_000);

afterAll(async () => {
  await ui?.browser.close();
  await testHost?.host.stop();
  await nc?.close();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the page loads a large lattice with one page of rows per table and a summarized picture', async () => {
  const started = Date.now();
  await page.goto(testHost.host.dashboardUrl ?? '');
  await ui.visible('#actors-body tr[data-actor-id]');
  await ui.visible('#links-body tr[data-link-id]');
  const loadMs = Date.now() - started;
  expect(await page.locator('#actors-count').textContent()).toBe(String(ACTORS));
  expect(await page.locator('#links-count').textContent()).toBe(String(LINKS));
  expect(await page.locator('#actors-body tr').count()).toBe(PAGE_SIZE);
  expect(await page.locator('#links-body tr').count()).toBe(PAGE_SIZE);
  expect(await page.locator('#actors-tools .page-info').textContent()).toBe('1–100 of 1,500');
  expect(await page.locator('#links-tools .page-info').textContent()).toBe('1–100 of 4,000');
  // Every table row on the page: the pages of actors and links, one host, no provider runs.
  expect(await page.locator('tbody tr').count()).toBeLessThan(4 * PAGE_SIZE);
  expect(await page.locator('#picture svg').getAttribute('aria-label')).toBe(
    `The lattice: ${ACTORS} actors, 0 providers and ${LINKS} links, summarized (the tables list each)`,
  );
  expect(await page.locator('#picture g.node').count()).toBeLessThan(20);
  expect(loadMs).toBeLessThan(15_000);
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-scale.png') });
  expect(ui.pageErrors).toEqual([]);
}, 30_000);

test('Next, Previous and the filter move through the rows; scrolling does not stall the page', async () => {
  const state = (await apiGet<LatticeSnapshot>(testHost.host.dashboardUrl ?? '', '/api/lattice')).body;
  const tools = page.locator('#links-tools');
  await tools.locator('button[data-page="next"]').click();
  expect(await tools.locator('.page-info').textContent()).toBe('101–200 of 4,000');
  expect(await page.locator('#links-body tr').first().getAttribute('data-link-id')).toBe(
    state.links[100]?.id,
  );
  await tools.locator('button[data-page="previous"]').click();
  expect(await page.locator('#links-body tr').first().getAttribute('data-link-id')).toBe(state.links[0]?.id);

  const actor = state.actors[742];
  await page.locator('#actors-tools input[data-filter]').fill(actor?.name ?? '');
  await page.locator('#actors-tools .page-info').filter({ hasText: 'matching' }).waitFor({ timeout: 5_000 });
  expect(await page.locator('#actors-body tr').count()).toBe(1);
  expect(await page.locator('#actors-body tr').getAttribute('data-actor-id')).toBe(actor?.id);
  await page.locator('#actors-tools input[data-filter]').fill('');
  await page
    .locator('#actors-tools .page-info')
    .filter({ hasText: '1–100 of 1,500' })
    .waitFor({ timeout: 5_000 });

  const longestFrameMs = await page.evaluate(async () => {
    const frame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));
    let longest = 0;
    let last = await frame();
    const height = document.documentElement.scrollHeight;
    for (let i = 1; i <= 20; i++) {
      window.scrollTo(0, (height * i) / 20);
      const now = await frame();
      longest = Math.max(longest, now - last);
      last = now;
    }
    window.scrollTo(0, 0);
    return longest;
  });
  // A freeze is seconds (the page of every row took 18 s per frame at 10,000 actors); a busy CI machine may take a few hundred ms.
  expect(longestFrameMs).toBeLessThan(1_000);
  expect(ui.pageErrors).toEqual([]);
}, 30_000);

test('a link put elsewhere shows live, without a reload', async () => {
  const actorId = KeyPair.create('module').publicKey;
  await page.locator('#links-tools input[data-filter]').fill(actorId);
  await page.locator('#links-tools .page-info').filter({ hasText: 'none match' }).waitFor({ timeout: 5_000 });
  const stored = await testHost.host.latticeData.putLink({
    actor_id: actorId,
    provider_id: made.providerIds[0] as string,
    contract_id: 'wasmcloud:keyvalue',
    link_name: 'default',
    values: {},
  });
  await ui.visible(`#links-body tr[data-link-id="${stored.id}"]`, 10_000);
  expect(await page.locator('#links-count').textContent()).toBe(String(LINKS + 1));
  expect(await page.locator('#links-tools .page-info').textContent()).toBe('1–1 of 1 matching (of 4,001)');
  expect(ui.pageErrors).toEqual([]);
}, 30_000);
