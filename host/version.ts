// The host's version as reported in pings, heartbeats and host_started: the package's version.

import { readFileSync } from 'node:fs';

// `../package.json` from host/ and from the compiled host in dist/ alike (host/build.ts).
const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export const HOST_VERSION: string = packageJson.version;

/** "1h 51m 54s", as the 2022 host wrote uptime. */
export function humanUptime(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', `${s}s`].filter(Boolean);
  return parts.join(' ');
}
