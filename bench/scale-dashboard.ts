// The dashboard at scale (issue 19, items 2 and 5): one host serving its dashboard, with
// SCALE_DASHBOARD_ACTORS distinct actors (default 10,000) and SCALE_DASHBOARD_LINKS link definitions
// (default 20,000). Printed: `GET /api/lattice` bytes and time (whole, as before, and one page of a
// section), what the live feed sends for one change (a link put) beside the whole state, and in
// Chromium the time to first render, the rows in the DOM, and the longest main-thread stall while
// the page loads and while it scrolls and pages — each beside the same page on an empty lattice of
// this same run.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyPair } from '../lattice/keys.ts';
import { connectNats } from '../lattice/nats.ts';
import { openBrowserPage } from '../test/helpers/browser-page.ts';
import { startDashboardHost } from '../test/helpers/dashboard-client.ts';
import type { TestHost } from '../test/helpers/host.ts';
import { fillLattice } from '../test/helpers/large-lattice.ts';
import { startNatsServer } from '../test/helpers/nats-server.ts';

const LATTICE = 'scaledash';
const EMPTY_LATTICE = 'scaledashempty';

function row(cells: Array<string | number>): string {
  const widths = [52, 12, 22, 8, 10];
  return cells.map((cell, index) => String(cell).padEnd(widths[index] ?? 0)).join(' ');
}

async function median(times: number, operation: () => Promise<number>): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < times; i++) values.push(await operation());
  return values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}

/** Bytes and median wall time of a GET. */
async function getCost(url: string): Promise<{ bytes: number; ms: number }> {
  let bytes = 0;
  const ms = await median(5, async () => {
    const start = performance.now();
    const response = await fetch(url);
    bytes = (await response.arrayBuffer()).byteLength;
    return performance.now() - start;
  });
  return { bytes, ms };
}

/**
 * Opens the live feed as the page does (no whole state: that is GET /api/lattice), waits for its
 * first event, then runs `change` and counts the bytes of the `delta` event that follows it.
 */
async function feedBytesFor(base: string, change: () => Promise<void>): Promise<number> {
  const controller = new AbortController();
  const response = await fetch(`${base}/api/events?state=none`, { signal: controller.signal });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  /** Each complete event frame's size in bytes and its name. */
  const frames: Array<{ event: string; bytes: number }> = [];
  const reading = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        // Searched from where the last search stopped: a frame of megabytes comes in many chunks.
        const from = Math.max(0, buffered.length - 1);
        buffered += decoder.decode(value, { stream: true });
        for (let end = buffered.indexOf('\n\n', from); end >= 0; end = buffered.indexOf('\n\n')) {
          const frame = buffered.slice(0, end + 2);
          buffered = buffered.slice(end + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          if (event !== undefined) frames.push({ event, bytes: Buffer.byteLength(frame) });
        }
      }
    } catch {
      // Aborted below: the stream's end is expected.
    }
  })();
  const until = async (found: () => boolean, what: string) => {
    const started = performance.now();
    while (!found()) {
      if (performance.now() - started > 60_000) throw new Error(`the feed sent no ${what} within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  await until(() => frames.length > 0, 'first event');
  const seen = frames.length;
  await change();
  const isChange = (frame: { event: string }) => frame.event === 'delta';
  await until(() => frames.slice(seen).some(isChange), 'change');
  const changed = frames.slice(seen).find(isChange)?.bytes ?? 0;
  controller.abort();
  await reading;
  return changed;
}

interface BrowserFigures {
  firstRenderMs: number;
  /** The longest task the page ran from navigation to first render. */
  loadLongestTaskMs: number;
  rows: number;
  /** The longest frame while scrolling to the bottom and back, and paging the tables. */
  interactionLongestFrameMs: number;
}

async function browserFigures(url: string, hasActors: boolean): Promise<BrowserFigures> {
  const ui = await openBrowserPage();
  try {
    const { page } = ui;
    await page.addInitScript(() => {
      const longest = { value: 0 };
      (globalThis as unknown as { __longestTask: typeof longest }).__longestTask = longest;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) longest.value = Math.max(longest.value, entry.duration);
      }).observe({ type: 'longtask', buffered: true });
    });
    const start = performance.now();
    await page.goto(url);
    // Rendered: the hosts and actors tables show rows of the lattice's state.
    await page
      .locator('#hosts-body tr[data-host-id]')
      .first()
      .waitFor({ timeout: 120_000 })
      .catch((error: unknown) => {
        // What the page threw says more than the wait's timeout.
        throw new Error(`the page did not render: ${ui.pageErrors.join('; ') || String(error)}`);
      });
    if (hasActors) await page.locator('#actors-body tr[data-actor-id]').first().waitFor({ timeout: 120_000 });
    const firstRenderMs = performance.now() - start;
    const loadLongestTaskMs = await page.evaluate(
      () => (globalThis as unknown as { __longestTask: { value: number } }).__longestTask.value,
    );
    const rows = await page.locator('tr').count();
    const interactionLongestFrameMs = await page.evaluate(async () => {
      const frame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));
      let longest = 0;
      let last = await frame();
      const step = async () => {
        const now = await frame();
        longest = Math.max(longest, now - last);
        last = now;
      };
      const height = document.documentElement.scrollHeight;
      for (let i = 1; i <= 20; i++) {
        window.scrollTo(0, (height * i) / 20);
        await step();
      }
      window.scrollTo(0, 0);
      await step();
      for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-page="next"]')) {
        button.click();
        await step();
      }
      for (const input of document.querySelectorAll<HTMLInputElement>('input[data-filter]')) {
        input.value = '7';
        input.dispatchEvent(new Event('input'));
        await step();
      }
      return longest;
    });
    return { firstRenderMs, loadLongestTaskMs, rows, interactionLongestFrameMs };
  } finally {
    await ui.browser.close();
  }
}

export async function runDashboardScaleBench(): Promise<void> {
  const actors = Number(process.env.SCALE_DASHBOARD_ACTORS ?? 10_000);
  const links = Number(process.env.SCALE_DASHBOARD_LINKS ?? 20_000);
  const dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-scale-dashboard-'));
  const nats = await startNatsServer();
  const nc = await connectNats({ url: nats.url });
  const hosts: TestHost[] = [];
  try {
    console.log(`\nThe dashboard at scale: one host, ${actors} distinct actors, ${links} link definitions`);
    const empty = await startDashboardHost(nats.url, EMPTY_LATTICE);
    hosts.push(empty);
    const testHost = await startDashboardHost(nats.url, LATTICE);
    hosts.push(testHost);
    const made = await fillLattice(nc, LATTICE, testHost, join(dir, 'actors'), { actors, links });
    console.log(
      `(started the actors in ${(made.startMs / 1000).toFixed(1)} s, put the links in ${(made.linkMs / 1000).toFixed(1)} s)`,
    );
    const base = testHost.host.dashboardUrl ?? '';
    const emptyBase = empty.host.dashboardUrl ?? '';
    for (;;) {
      const state = (await (await fetch(`${base}/api/lattice`)).json()) as {
        actors: unknown[];
        links: unknown[];
      };
      if (state.actors.length >= actors && state.links.length >= links) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }

    const whole = await getCost(`${base}/api/lattice`);
    const wholeEmpty = await getCost(`${emptyBase}/api/lattice`);
    const paged = await getCost(`${base}/api/lattice?section=links&offset=100&limit=100`);
    const feed = await feedBytesFor(base, async () => {
      await testHost.host.latticeData.putLink({
        actor_id: KeyPair.create('module').publicKey,
        provider_id: made.providerIds[0] as string,
        contract_id: 'wasmcloud:keyvalue',
        link_name: 'default',
        values: {},
      });
    });
    const emptyPage = await browserFigures(emptyBase, false);
    const fullPage = await browserFigures(base, actors > 0);

    console.log(row(['', 'measured', 'baseline', 'ratio', 'target']));
    console.log(
      row([
        'GET /api/lattice (KiB; whole, default shape)',
        Math.round(whole.bytes / 1024),
        `${(wholeEmpty.bytes / 1024).toFixed(1)} empty lattice`,
        (whole.bytes / wholeEmpty.bytes).toFixed(0),
        '',
      ]),
    );
    console.log(
      row([
        'GET /api/lattice (ms, median of 5)',
        Math.round(whole.ms),
        `${wholeEmpty.ms.toFixed(1)} empty lattice`,
        (whole.ms / wholeEmpty.ms).toFixed(0),
        '',
      ]),
    );
    console.log(
      row([
        'GET /api/lattice?section=links&limit=100 (KiB; ms)',
        `${(paged.bytes / 1024).toFixed(1)}; ${Math.round(paged.ms)}`,
        `${Math.round(whole.bytes / 1024)} KiB whole`,
        (paged.bytes / whole.bytes).toFixed(3),
        '',
      ]),
    );
    console.log(
      row([
        'live feed: bytes sent for one link put',
        feed,
        `${whole.bytes} whole state`,
        (feed / whole.bytes).toFixed(5),
        '',
      ]),
    );
    console.log(
      row([
        'Chromium: time to first render (ms)',
        Math.round(fullPage.firstRenderMs),
        `${Math.round(emptyPage.firstRenderMs)} empty lattice`,
        (fullPage.firstRenderMs / emptyPage.firstRenderMs).toFixed(1),
        '',
      ]),
    );
    console.log(
      row([
        'Chromium: longest task while loading (ms)',
        Math.round(fullPage.loadLongestTaskMs),
        `${Math.round(emptyPage.loadLongestTaskMs)} empty lattice`,
        '',
        '',
      ]),
    );
    console.log(
      row(['Chromium: table rows in the DOM', fullPage.rows, `${emptyPage.rows} empty lattice`, '', '']),
    );
    console.log(
      row([
        'Chromium: longest frame scrolling/paging (ms)',
        Math.round(fullPage.interactionLongestFrameMs),
        `${Math.round(emptyPage.interactionLongestFrameMs)} empty lattice`,
        (fullPage.interactionLongestFrameMs / Math.max(1, emptyPage.interactionLongestFrameMs)).toFixed(1),
        '< 200 (no freeze)',
      ]),
    );
  } finally {
    for (const host of hosts) await host.host.stop();
    await nc.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await runDashboardScaleBench();
