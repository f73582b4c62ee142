// The dashboard in a real browser (Debian chromium through playwright-core) against a real host:
// the page loads live; an actor started through the form (the signed echo_s.wasm uploaded) shows
// in the tables and the picture; a provider likewise; a link defined in the page, or by anyone
// else on the lattice, shows at once and goes when deleted; hosts join and leave; a failed start
// shows the host's reason; NATS lost and back shows in the header and the events. Screenshots go
// to test/artifacts/.

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { hostInventorySchema } from '../../lattice/control.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { readProviderArchive } from '../../lattice/provider-archive.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { type BuiltProbe, buildProbeArchive } from '../fixtures/providers/provider-test-kit.ts';
import { builtActor } from '../helpers/actors.ts';
import { ARTIFACTS, type BrowserPage, openBrowserPage } from '../helpers/browser-page.ts';
import { startDashboardHost } from '../helpers/dashboard-client.ts';
import { eventuallyPasses } from '../helpers/eventually.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { ctlRequest } from '../helpers/lattice-client.ts';
import { freePort, type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

const LATTICE = 'dashbrowser';
const subjects = latticeSubjects(LATTICE);
const ECHO_PATH = join(REPO_ROOT, 'actors', 'build', 'echo_s.wasm');
const ECHO_ID = verifySignedWasm(builtActor('echo')).claims.sub;
const HTTPSERVER_PATH = join(REPO_ROOT, 'providers', 'build', 'httpserver.par.gz');
/** Uploading and compiling the 12 MB echo component takes a few seconds on a busy machine. */
const SLOW = 45_000;

let nats: NatsServer;
let nc: NatsConnection;
let dir: string;
let probe: BuiltProbe;
let testHost: TestHost;
let ui: BrowserPage;
let page: Page;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-dashbrowser-'));
  probe = await buildProbeArchive(dir);
  testHost = await startDashboardHost(nats.url, LATTICE);
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

const visible = (selector: string, timeoutMs?: number) => ui.visible(selector, timeoutMs);
const gone = (selector: string, timeoutMs?: number) => ui.gone(selector, timeoutMs);

test('the page loads and shows this host, live', async () => {
  await page.goto(testHost.host.dashboardUrl ?? '');
  await visible(`#hosts-body tr[data-host-id="${testHost.id}"]`);
  expect(await page.title()).toBe(`wasmCloud · ${LATTICE}`);
  const row = await page.locator(`#hosts-body tr[data-host-id="${testHost.id}"]`).textContent();
  expect(row).toContain(testHost.host.config.friendlyName);
  expect(row).toContain('this host');
  await page.locator('#live-status[data-state="live"]').waitFor({ timeout: 10_000 });
  expect(await page.locator('#picture svg').getAttribute('aria-label')).toBe('The lattice runs nothing yet');
});

test('an actor started through the form from an uploaded file shows in the table and the picture', async () => {
  await page.getByRole('button', { name: 'Start actor' }).click();
  const dialog = page.locator('#start-actor-dialog');
  await dialog.locator('input[name="file"]').setInputFiles(ECHO_PATH);
  await dialog.locator('select[name="host_id"]').selectOption(testHost.id);
  await dialog.getByRole('button', { name: 'Start' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: SLOW });
  await visible(`#actors-body tr[data-actor-id="${ECHO_ID}"]`);
  const row = await page.locator(`#actors-body tr[data-actor-id="${ECHO_ID}"]`).textContent();
  expect(row).toContain('echo');
  expect(row).toContain('uploaded echo_s.wasm');
  expect(row).toContain('wasmcloud:httpserver');
  await visible(`#picture g.node.actor[data-actor-id="${ECHO_ID}"]`);
  expect(await page.locator('.notice.success').first().textContent()).toMatch(
    new RegExp(`started actor echo \\(${ECHO_ID.slice(0, 8)}…\\) on host`),
  );
}, 60_000);

test("a start the host cannot do shows the host's reason in the form", async () => {
  await page.getByRole('button', { name: 'Start actor' }).click();
  const dialog = page.locator('#start-actor-dialog');
  await dialog.getByLabel('a reference').check();
  await dialog.locator('input[name="actor_ref"]').fill(join(dir, 'missing.wasm'));
  await dialog.locator('select[name="host_id"]').selectOption(testHost.id);
  await dialog.getByRole('button', { name: 'Start' }).click();
  await dialog.locator('.form-error').waitFor({ state: 'visible', timeout: 15_000 });
  expect(await dialog.locator('.form-error').textContent()).toContain(
    `cannot read ${join(dir, 'missing.wasm')}: no such file`,
  );
  // Asking for instances without saying how many names the field.
  await dialog.locator('input[name="count"]').fill('0');
  await dialog.getByRole('button', { name: 'Start' }).click();
  await dialog.locator('input[name="count"][aria-invalid="true"]').waitFor({ timeout: 5_000 });
  expect(await dialog.locator('.form-error').textContent()).toContain('count: must be at least 1');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await visible('#events-list li.failure');
});

test('a provider started through the form from an uploaded archive shows with its health', async () => {
  await page.getByRole('button', { name: 'Start provider' }).click();
  const dialog = page.locator('#start-provider-dialog');
  await dialog.locator('input[name="file"]').setInputFiles(probe.path);
  // Left on "Any host (auction)".
  expect(await dialog.locator('select[name="host_id"]').inputValue()).toBe('');
  await dialog.getByRole('button', { name: 'Start' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: SLOW });
  const row = `#providers-body tr[data-provider-id="${probe.providerKey}"]`;
  await visible(row);
  expect(await page.locator(row).textContent()).toContain('wasmcloud:probe');
  await visible(`${row} .badge.health-healthy`);
  await visible(`#picture g.node.provider[data-provider-id="${probe.providerKey}"] circle.health-healthy`);
}, 60_000);

test('a link defined in the page shows at once in the table and the picture; deleting it removes it', async () => {
  await page.getByRole('button', { name: 'Define link' }).click();
  const dialog = page.locator('#define-link-dialog');
  await dialog.locator('select[name="actor_id"]').selectOption(ECHO_ID);
  await dialog.locator('select[name="provider_id"]').selectOption(`${probe.providerKey}|default`);
  expect(await dialog.locator('input[name="contract_id"]').inputValue()).toBe('wasmcloud:probe');
  await dialog.locator('textarea[name="values"]').fill('GREETING=hi\nSECRET_TOKEN=abc');
  await dialog.getByRole('button', { name: 'Define link' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
  await visible('#links-body tr[data-link-id]');
  const row = await page.locator('#links-body tr[data-link-id]').textContent();
  expect(row).toContain('wasmcloud:probe');
  expect(row).toContain('GREETING=hi');
  expect(row).toContain('SECRET_TOKEN=••••••');
  expect(row).not.toContain('abc');
  await visible('#picture g.link');

  const screenshot = join(ARTIFACTS, 'dashboard.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  expect(existsSync(screenshot)).toBe(true);
  expect(statSync(screenshot).size).toBeGreaterThan(10_000);

  await page.locator('#links-body tr[data-link-id]').getByRole('button', { name: 'Delete' }).click();
  await page.locator('#confirm-dialog').getByRole('button', { name: 'Delete link' }).click();
  await gone('#links-body tr[data-link-id]');
  await gone('#picture g.link');
});

test('a link defined or deleted elsewhere on the lattice shows without a reload', async () => {
  const link = {
    actor_id: ECHO_ID,
    provider_id: probe.providerKey,
    contract_id: 'wasmcloud:probe',
    link_name: 'default',
    values: {},
  };
  expect(await ctlRequest(nc, subjects.ctl.linkPut(), link)).toEqual({ accepted: true, error: '' });
  await visible('#links-body tr[data-link-id]');
  await visible('#picture g.link');
  const body = { actor_id: ECHO_ID, contract_id: 'wasmcloud:probe', link_name: 'default' };
  expect(await ctlRequest(nc, subjects.ctl.linkDel(), body)).toEqual({ accepted: true, error: '' });
  await gone('#links-body tr[data-link-id]');
});

test('hosts joining and leaving show without a reload', async () => {
  const second = await startTestHost({ natsUrl: nats.url, settings: { latticePrefix: LATTICE } });
  try {
    await visible(`#hosts-body tr[data-host-id="${second.id}"]`);
    expect(await page.locator('#hosts-count').textContent()).toBe('2');
  } finally {
    await second.host.stop();
  }
  await gone(`#hosts-body tr[data-host-id="${second.id}"]`);
  expect(await page.locator('#hosts-count').textContent()).toBe('1');
});

/** The two httpservers the walk-through can use: the archive by reference, or the host's built-in. */
const HTTPSERVER_SOURCES: Array<{
  how: string;
  choose: (form: Locator) => Promise<void>;
  key: () => Promise<string>;
}> = [
  {
    how: 'httpserver started by reference',
    choose: async (form) => {
      await form.getByLabel('a reference').check();
      await form.locator('input[name="provider_ref"]').fill(HTTPSERVER_PATH);
    },
    key: async () => (await readProviderArchive(readFileSync(HTTPSERVER_PATH))).claims.sub,
  },
  {
    how: 'the built-in httpserver chosen in the form',
    choose: async (form) => {
      await form.getByLabel('built into the host').check();
      await form.locator('select[name="builtin_ref"]').selectOption('wasmcloud+builtin://httpserver');
    },
    key: async () => {
      const inventory = hostInventorySchema.parse(
        await ctlRequest(nc, latticeSubjects(LATTICE).ctl.hostInventory(testHost.id)),
      );
      const builtin = inventory.providers.find((p) => p.image_ref === 'wasmcloud+builtin://httpserver');
      if (builtin === undefined) throw new Error('the built-in httpserver is not in the inventory');
      return builtin.id;
    },
  },
];

test.each(HTTPSERVER_SOURCES)(
  'the walk-through without a terminal: $how, linked to echo, answers HTTP',
  async ({ choose, key }) => {
    await page.getByRole('button', { name: 'Start provider' }).click();
    const start = page.locator('#start-provider-dialog');
    await choose(start);
    await start.locator('select[name="host_id"]').selectOption(testHost.id);
    await start.getByRole('button', { name: 'Start' }).click();
    await start.waitFor({ state: 'hidden', timeout: SLOW });
    const httpserverKey = await key();
    const row = `#providers-body tr[data-provider-id="${httpserverKey}"]`;
    await visible(row);

    const port = await freePort();
    await page.getByRole('button', { name: 'Define link' }).click();
    const link = page.locator('#define-link-dialog');
    await link.locator('select[name="actor_id"]').selectOption(ECHO_ID);
    await link.locator('select[name="provider_id"]').selectOption(`${httpserverKey}|default`);
    expect(await link.locator('input[name="contract_id"]').inputValue()).toBe('wasmcloud:httpserver');
    await link.locator('textarea[name="values"]').fill(`ADDRESS=127.0.0.1:${port}`);
    await link.getByRole('button', { name: 'Define link' }).click();
    await link.waitFor({ state: 'hidden', timeout: 15_000 });
    await visible(`#links-body tr[data-link-id]:has-text("ADDRESS=127.0.0.1:${port}")`);

    await eventuallyPasses(
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/through/the/dashboard?x=1`);
        expect({
          status: response.status,
          body: JSON.parse(await response.text()) as Record<string, unknown>,
        }).toEqual({
          status: 200,
          body: { body: [], method: 'GET', path: '/through/the/dashboard', query_string: 'x=1' },
        });
      },
      { what: 'the echo actor to answer GET /through/the/dashboard', timeoutMs: 15_000 },
    );

    await page.locator(row).getByRole('button', { name: 'Stop' }).click();
    await page.locator('#confirm-dialog').getByRole('button', { name: 'Stop provider' }).click();
    await gone(row, SLOW);
    // The link stays (links outlive providers), shown with its provider not running.
    await visible('#links-body tr[data-link-id] .warning-badge');
    await visible('#picture g.node.provider.ghost');
    await page.locator('#links-body tr[data-link-id]').getByRole('button', { name: 'Delete' }).click();
    await page.locator('#confirm-dialog').getByRole('button', { name: 'Delete link' }).click();
    await gone('#links-body tr[data-link-id]');
  },
  90_000,
);

test('an actor is scaled and stopped from its row', async () => {
  const row = page.locator(`#actors-body tr[data-actor-id="${ECHO_ID}"]`);
  await row.getByRole('button', { name: 'Scale' }).click();
  const dialog = page.locator('#scale-actor-dialog');
  await dialog.locator('input[name="count"]').fill('2');
  await dialog.getByRole('button', { name: 'Scale' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: SLOW });
  await visible(`#actors-body tr[data-actor-id="${ECHO_ID}"] li:has-text("×2")`);

  await row.getByRole('button', { name: 'Stop' }).click();
  await page.locator('#confirm-dialog').getByRole('button', { name: 'Stop actor' }).click();
  await gone(`#actors-body tr[data-actor-id="${ECHO_ID}"]`, SLOW);
  await gone(`#picture g.node.actor[data-actor-id="${ECHO_ID}"]`);
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-after-stop.png'), fullPage: true });
  expect(ui.pageErrors).toEqual([]);
}, 60_000);

test('losing NATS shows in the header while it lasts, and its return in the events', async () => {
  const natsPill = (state: string, text: string) =>
    page.locator(`#nats-status[data-state="${state}"]`, { hasText: text }).waitFor({ timeout: 15_000 });
  await natsPill('live', 'NATS connected');
  await nats.restart(async () => {
    await natsPill('reconnecting', 'NATS lost · reconnecting since');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-nats-lost.png'), fullPage: true });
  });
  await natsPill('live', 'NATS connected');
  await visible('#events-list li[data-event="nats_reconnected"]:has-text("connection back after")');
  expect(ui.pageErrors).toEqual([]);
}, 60_000);
