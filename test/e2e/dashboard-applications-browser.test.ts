// The dashboard's Applications section in a real browser (Debian chromium through playwright-core)
// against a real host, with an in-test stand-in for the application controller answering the wadm
// API (test/helpers/wadm-responder.ts): a manifest uploaded from a file through the dialog lists
// the application; Deploy and Undeploy (confirmed) change it; a status pushed by the controller
// shows at once with its scalers' reasons; what the controller started is named with its
// application in the tables and the picture; a refused manifest shows the controller's words;
// Delete (confirmed) removes it; no controller is said plainly. Screenshots go to test/artifacts/.

import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { verifySignedWasm } from '../../lattice/claims.ts';
import { ControlClient } from '../../lattice/control-client.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { APP_SPEC_ANNOTATION, MANAGED_BY_ANNOTATION, MANAGED_BY_WADM } from '../../lattice/wadm-api.ts';
import { builtActor } from '../helpers/actors.ts';
import { actorAppYaml } from '../helpers/app-manifests.ts';
import { ARTIFACTS, type BrowserPage, openBrowserPage } from '../helpers/browser-page.ts';
import { startDashboardHost } from '../helpers/dashboard-client.ts';
import { eventuallyPasses } from '../helpers/eventually.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import type { TestHost } from '../helpers/host.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { WadmResponder } from '../helpers/wadm-responder.ts';

const LATTICE = 'dashappsbrowser';
const ECHO_PATH = join(REPO_ROOT, 'actors', 'build', 'wasmbus-echo_s.wasm');
const ECHO = verifySignedWasm(builtActor('wasmbus-echo')).claims;

const MANIFEST = actorAppYaml({
  name: 'hello',
  version: 'v1',
  description: 'Hello from a manifest',
  image: ECHO_PATH,
  replicas: 1,
  requirements: { zone: 'us-east-1' },
});

let nats: NatsServer;
let nc: NatsConnection;
let dir: string;
let testHost: TestHost;
let responder: WadmResponder;
let ui: BrowserPage;
let page: Page;

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url });
  dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-dashappsbrowser-'));
  responder = await WadmResponder.start(nc, LATTICE);
  testHost = await startDashboardHost(nats.url, LATTICE);
  ui = await openBrowserPage();
  page = ui.page;
}, 90_000);

afterAll(async () => {
  await ui?.browser.close();
  await testHost?.host.stop();
  await responder?.stop();
  await nc?.close();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const visible = (selector: string, timeoutMs?: number) => ui.visible(selector, timeoutMs);
const gone = (selector: string, timeoutMs?: number) => ui.gone(selector, timeoutMs);
const row = 'tr.app[data-app="hello"]';

test('a manifest uploaded from a file lists the application, not deployed', async () => {
  await page.goto(testHost.host.dashboardUrl ?? '');
  await page.locator('#live-status[data-state="live"]').waitFor({ timeout: 15_000 });
  await visible('#apps-body tr.empty:has-text("No application is stored yet")');
  expect(await page.locator('#apps-controller').isHidden()).toBe(true);

  const file = join(dir, 'hello.yaml');
  writeFileSync(file, MANIFEST);
  await page.getByRole('button', { name: 'Upload manifest' }).click();
  const dialog = page.locator('#upload-manifest-dialog');
  await dialog.locator('input[name="file"]').setInputFiles(file);
  await eventuallyPasses(
    async () => expect(await dialog.locator('textarea[name="manifest"]').inputValue()).toBe(MANIFEST),
    "the file's text in the text area",
  );
  await dialog.getByLabel('Deploy it once stored').uncheck();
  await dialog.getByRole('button', { name: 'Upload' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
  expect(await page.locator('.notice.success').first().textContent()).toContain(
    'stored version v1 of application hello',
  );
  await visible(row);
  const text = await page.locator(row).textContent();
  expect(text).toContain('Hello from a manifest');
  expect(text).toContain('v1');
  expect(text).toContain('not deployed');
  expect(await page.locator(`${row} .badge.status`).textContent()).toBe('undeployed');
  expect(await page.locator('#apps-count').textContent()).toBe('1');
  expect(await page.locator(row).getByRole('button', { name: 'Undeploy', exact: true }).isDisabled()).toBe(
    true,
  );
});

test("a refused manifest shows the controller's words in the dialog; an empty one names the field", async () => {
  await page.getByRole('button', { name: 'Upload manifest' }).click();
  const dialog = page.locator('#upload-manifest-dialog');
  await dialog.locator('textarea[name="manifest"]').fill(MANIFEST);
  await dialog.getByRole('button', { name: 'Upload' }).click();
  await dialog.locator('.form-error').waitFor({ state: 'visible', timeout: 15_000 });
  expect(await dialog.locator('.form-error').textContent()).toBe(
    'the controller refused the manifest: version v1 of application hello already exists',
  );
  await dialog.locator('textarea[name="manifest"]').fill('   ');
  await dialog.getByRole('button', { name: 'Upload' }).click();
  await dialog.locator('textarea[name="manifest"][aria-invalid="true"]').waitFor({ timeout: 5_000 });
  expect(await dialog.locator('.form-error').textContent()).toBe(
    'choose a manifest file or paste a manifest',
  );
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });
});

test('Deploy; a status the controller pushes shows at once with its scalers and reasons', async () => {
  await page.locator(row).getByRole('button', { name: 'Deploy', exact: true }).click();
  await visible(`${row}[data-status="reconciling"]`);
  await visible(`${row} td.deployed-version:has-text("v1")`);
  expect(await page.locator('.notice.success').first().textContent()).toContain(
    'deploying application hello version v1: the controller is reconciling',
  );
  await page
    .locator(row)
    .getByRole('button', { name: /1 scaler/ })
    .click();
  const scalers = 'tr.app-scalers[data-app="hello"]';
  await visible(`${scalers} tr[data-scaler-id]`);
  expect(await page.locator(`${scalers} tr[data-scaler-id]`).textContent()).toContain('SpreadScaler');

  const reason = 'no host satisfies zone=us-east-1';
  responder.setStatus('hello', responder.statusOf('hello', 'failed', reason));
  await visible(`${row}[data-status="failed"]`);
  expect(await page.locator(`${row} .status-message`).textContent()).toBe(reason);
  // The scalers stay open across the update, now with the reason.
  await visible(`${scalers} tr[data-scaler-id] .badge.status-failed`);
  expect(await page.locator(`${scalers} td.reason`).textContent()).toBe(reason);
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-applications.png'), fullPage: true });
  expect(statSync(join(ARTIFACTS, 'dashboard-applications.png')).size).toBeGreaterThan(10_000);
});

test("what the controller started is named with its application in the table, the picture and the app's row", async () => {
  const ctl = new ControlClient(nc, { latticePrefix: LATTICE });
  await ctl.startActor(testHost.id, ECHO_PATH, 1, {
    [MANAGED_BY_ANNOTATION]: MANAGED_BY_WADM,
    [APP_SPEC_ANNOTATION]: 'hello',
  });
  responder.setStatus('hello', responder.statusOf('hello', 'deployed'));
  await visible(`#actors-body tr[data-actor-id="${ECHO.sub}"] .badge.app[data-app="hello"]`);
  await visible(`#picture g.node.actor[data-actor-id="${ECHO.sub}"] g.app-tag[data-app="hello"]`);
  await visible(`${row}[data-status="deployed"] .chip.member[data-actor-id="${ECHO.sub}"]`);
  expect(await page.locator(`${row} .chip.member`).textContent()).toBe(`actor ${ECHO.wascap.name} ×1`);
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-applications-deployed.png'), fullPage: true });
}, 30_000);

test('Undeploy and Delete, each confirmed', async () => {
  await page.locator(row).getByRole('button', { name: 'Undeploy', exact: true }).click();
  await page.locator('#confirm-dialog').getByRole('button', { name: 'Undeploy', exact: true }).click();
  await visible(`${row}[data-status="undeployed"] td.deployed-version:has-text("not deployed")`);
  expect(responder.requests.filter((r) => r.operation === 'undeploy').map((r) => r.name)).toEqual(['hello']);

  // Cancelling the confirmation sends nothing.
  await page.locator(row).getByRole('button', { name: 'Delete' }).click();
  await page.locator('#confirm-dialog').getByRole('button', { name: 'Cancel' }).click();
  expect(responder.requests.some((r) => r.operation === 'del')).toBe(false);
  await page.locator(row).getByRole('button', { name: 'Delete' }).click();
  await page.locator('#confirm-dialog').getByRole('button', { name: 'Delete application' }).click();
  await gone(row);
  expect(await page.locator('#apps-count').textContent()).toBe('0');
  expect(ui.pageErrors).toEqual([]);
});

test('without a controller the section says so', async () => {
  await responder.stop();
  // A page that opens asks the controller at once.
  await page.reload();
  await visible('#apps-controller[data-state="absent"]');
  expect(await page.locator('#apps-controller').textContent()).toContain(
    `no application controller is running in lattice "${LATTICE}"`,
  );
  await visible('#apps-body tr.empty:has-text("No application controller answers in this lattice")');
  await page.screenshot({
    path: join(ARTIFACTS, 'dashboard-applications-no-controller.png'),
    fullPage: true,
  });
  expect(ui.pageErrors).toEqual([]);
});
