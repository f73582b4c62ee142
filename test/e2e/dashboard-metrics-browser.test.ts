// The call rates in a real browser (Debian chromium through playwright-core, issue 17, item 5):
// while HTTP calls go through the built-in httpserver to kvcounter, the actor's row shows a
// sparkline with its calls/s and p50/p99, and the keyvalue provider's row its requests/s and
// errors, live from the `metrics` events. Screenshot to test/artifacts/.

import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ARTIFACTS, type BrowserPage, openBrowserPage } from '../helpers/browser-page.ts';
import { type KvcounterOverHttp, serveKvcounterOverHttp } from '../helpers/kvcounter-http.ts';
import { ProviderLattice } from '../helpers/provider-lattice.ts';

let lattice: ProviderLattice;
let served: KvcounterOverHttp;
let ui: BrowserPage;

beforeAll(async () => {
  lattice = await ProviderLattice.start({
    lattice: 'dashratesui',
    name: 'dashboard-rates-browser',
    hostSettings: { dashboardPort: '0' },
  });
  served = await serveKvcounterOverHttp(lattice, 'dashratesui_counter');
  ui = await openBrowserPage();
}, 90_000);

afterAll(async () => {
  await ui?.browser.close();
  await lattice?.stop();
});

test('sparklines with calls/s and p50/p99 beside the actor, requests/s and errors beside the provider', async () => {
  const { page } = ui;
  await page.goto(lattice.host.host.dashboardUrl ?? '');
  const actorCell = `#actors-body td[data-rates-actor="${served.kvcounterId}"]`;
  const providerCell = `#providers-body td[data-rates-provider="${served.keyvalueKey}|default"]`;
  await ui.visible(actorCell);
  // About 10 calls a second while the page watches, for three polls or so.
  let calling = true;
  const calls = (async () => {
    while (calling) {
      await (await fetch(served.url)).arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  try {
    await ui.visible(`${actorCell} svg.sparkline polyline.calls`, 15_000);
    await page.waitForFunction(
      (selector) => Number(document.querySelector(`${selector} .rate`)?.getAttribute('data-rate')) > 1,
      actorCell,
      { timeout: 10_000 },
    );
  } finally {
    calling = false;
    await calls;
  }
  const figures = (await page.locator(`${actorCell} .rate-figures`).textContent()) ?? '';
  expect(figures).toMatch(/^\d+(\.\d+)?\/s/);
  expect(figures).toMatch(/p50 \d+(\.\d+)? (µs|ms) · p99 \d+(\.\d+)? (µs|ms|s)/);
  expect(await page.locator(`${actorCell} .rate-total`).textContent()).toMatch(/^\d+ calls$/);
  expect(await page.locator(`${actorCell} svg.sparkline`).getAttribute('aria-label')).toMatch(
    /^calls per second, the last \d+ intervals$/,
  );
  // The line has a point per interval so far, at least two.
  const linePoints = (await page.locator(`${actorCell} polyline.calls`).getAttribute('points')) ?? '';
  expect(linePoints.split(' ').length).toBeGreaterThanOrEqual(2);
  await ui.visible(`${providerCell} svg.sparkline polyline.calls`);
  const provider = (await page.locator(`${providerCell} .rate-figures`).textContent()) ?? '';
  expect(provider).toMatch(/\d+(\.\d+)?\/s req/);
  expect(provider).toContain('0/s errors');
  expect(await page.locator(`${providerCell} .rate-total`).textContent()).toMatch(/^\d+ requests, 0 failed$/);
  await page.locator('#actors-title').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-call-rates.png'), fullPage: true });
  expect(ui.pageErrors).toEqual([]);
}, 60_000);
