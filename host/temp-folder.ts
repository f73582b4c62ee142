// The host's temporary folder (provider installs, dashboard uploads) and the clean-up of
// folders left behind by hosts that were killed (SIGKILL, OOM, power loss) before they could remove
// their own. A folder is named `wasmcloud-ts-host-{pid}-XXXXXX` and holds a marker file with the
// owner's pid and process start time, so a later host can tell a dead owner from a live one even
// when the pid has been reused. Nothing without a readable marker of ours is ever removed.

import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { errorFields, errorMessage } from '../lattice/errors.ts';
import type { Logger } from '../lattice/log.ts';

const PREFIX = 'wasmcloud-ts-host-';
/** `wasmcloud-ts-host-{pid}-XXXXXX`, as mkdtemp completes it. */
const FOLDER_NAME = /^wasmcloud-ts-host-(\d{1,10})-[A-Za-z0-9]{6}$/;
export const OWNER_MARKER = 'wasmcloud-ts-host-owner.json';

const markerSchema = z.object({
  pid: z.number().int().positive(),
  /** The machine (or container) the pid belongs to: pids of another one say nothing here. */
  hostname: z.string(),
  /** Field 22 of /proc/{pid}/stat (clock ticks after boot); null where /proc is not there. */
  process_start: z.string().nullable(),
  created_at: z.string(),
});
type OwnerMarker = z.infer<typeof markerSchema>;

/** When a process started, from /proc/{pid}/stat; undefined when it is gone or /proc is not there. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19]; // field 22 overall: fields 3… start at index 0 here
  } catch {
    return undefined;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process that wrote `marker` is still running (the same process, not a reuse of its pid). */
function ownerAlive(marker: OwnerMarker): boolean {
  if (!processExists(marker.pid)) return false;
  if (marker.process_start === null) return true; // nothing to compare: assume it is the owner
  const now = processStartTime(marker.pid);
  return now === undefined || now === marker.process_start;
}

function readMarker(folder: string): OwnerMarker | undefined {
  try {
    const path = join(folder, OWNER_MARKER);
    if (!lstatSync(path).isFile()) return undefined;
    const parsed = markerSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes the temporary folders of hosts (of this user, under `root`) whose process is gone.
 * Folders of live hosts, folders without our marker and anything not named as ours stay.
 * Returns how many were removed.
 */
export function removeStaleHostFolders(log: Logger, root = tmpdir()): number {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch (error) {
    log.warn(`cannot look for stale host folders in ${root}: ${errorMessage(error)}`, errorFields(error));
    return 0;
  }
  const uid = process.getuid?.();
  let removed = 0;
  for (const name of entries) {
    const pid = FOLDER_NAME.exec(name)?.[1];
    if (pid === undefined) continue;
    const folder = join(root, name);
    try {
      const stat = lstatSync(folder);
      if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) continue;
    } catch {
      continue; // removed meanwhile
    }
    const marker = readMarker(folder);
    // No marker (still being created, or not ours after all), one naming another pid, or one from
    // another machine or container sharing this folder (its pids mean nothing here): leave it.
    if (marker === undefined || String(marker.pid) !== pid || marker.hostname !== hostname()) continue;
    if (ownerAlive(marker)) continue;
    try {
      rmSync(folder, { recursive: true, force: true });
      removed += 1;
      log.debug(`removed stale host folder ${folder} (its host, pid ${pid}, is no longer running)`);
    } catch (error) {
      log.warn(`cannot remove stale host folder ${folder}: ${errorMessage(error)}`, errorFields(error));
    }
  }
  if (removed > 0)
    log.info(
      `removed ${removed} stale host temp folder${removed === 1 ? '' : 's'} of hosts no longer running`,
    );
  return removed;
}

/** Makes this host's temporary folder (mode 0700) with its owner marker; the host removes it on stop. */
export function createHostFolder(root = tmpdir()): string {
  const folder = mkdtempSync(join(root, `${PREFIX}${process.pid}-`));
  const marker: OwnerMarker = {
    pid: process.pid,
    hostname: hostname(),
    process_start: processStartTime(process.pid) ?? null,
    created_at: new Date().toISOString(),
  };
  writeFileSync(join(folder, OWNER_MARKER), `${JSON.stringify(marker)}\n`, { mode: 0o600 });
  return folder;
}
