// A page in Debian's chromium (through playwright-core) for the dashboard's browser tests: launched
// headless with nothing that reaches the internet, errors the page throws kept for the test to
// check, waits for an element to show or go, and the folder screenshots are written to.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { REPO_ROOT } from './fixtures.ts';

/** Where browser tests write their screenshots (ignored by git). */
export const ARTIFACTS = join(REPO_ROOT, 'test', 'artifacts');

export interface BrowserPage {
  browser: Browser;
  page: Page;
  /** Every uncaught error of the page's scripts, as it happened. */
  pageErrors: string[];
  /** Waits until the first element `selector` finds is visible. */
  visible(selector: string, timeoutMs?: number): Promise<void>;
  /** Waits until nothing `selector` finds is left. */
  gone(selector: string, timeoutMs?: number): Promise<void>;
}

export async function openBrowserPage(): Promise<BrowserPage> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    browser,
    page,
    pageErrors,
    visible: (selector, timeoutMs = 15_000) =>
      page.locator(selector).first().waitFor({ state: 'visible', timeout: timeoutMs }),
    gone: (selector, timeoutMs = 15_000) =>
      page.locator(selector).first().waitFor({ state: 'detached', timeout: timeoutMs }),
  };
}
