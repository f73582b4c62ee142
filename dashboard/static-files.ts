// The page itself: the files in dashboard/public/, read once at start (no build step, no CDN:
// plain HTML, CSS and ES modules) and served from memory by name. Only those names exist, so no
// request path can reach any other file. A strict Content-Security-Policy keeps the page to its own
// scripts and styles, and makes any injected markup inert.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { DashboardError } from './errors.ts';

// By way of the repository: this module also runs bundled into the compiled host in dist/ (host/build.ts).
export const PUBLIC_DIRECTORY = join(import.meta.dirname, '..', 'dashboard', 'public');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface StaticFile {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** The page's files by URL path (`/` is index.html). */
export function loadStaticFiles(directory = PUBLIC_DIRECTORY): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(directory)) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType === undefined) continue;
    const body = readFileSync(join(directory, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    files.set(`/${name}`, { body, contentType, etag });
  }
  const index = files.get('/index.html');
  if (index === undefined) {
    throw new DashboardError(
      'DASHBOARD_PAGE_MISSING',
      `the dashboard's page is missing: no index.html in ${directory}`,
    );
  }
  files.set('/', index);
  return files;
}
