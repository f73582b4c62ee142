// The edits `wash dev` rebuilds on: every file saved under the project folder except what builds
// and installs write (build/, node_modules/, keys/, dot folders). Saves that come close together
// (an editor writes a file in steps, a formatter rewrites it) make one change. Each folder is
// watched on its own (inotify on Linux): Node's recursive watch on Linux loses a file that an
// editor replaces by rename (sed -i, vim's backup copy), and such saves must count too. Folders
// made after wash dev started are not watched.

import { type FSWatcher, readdirSync, watch } from 'node:fs';
import { join, relative } from 'node:path';

const IGNORED = /(^|\/)(build|node_modules|keys|\.[^/]+)(\/|$)/;
const SETTLE_MS = 120;

function foldersUnder(dir: string, root: string): string[] {
  const folders = [dir];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && !IGNORED.test(relative(root, path))) folders.push(...foldersUnder(path, root));
  }
  return folders;
}

export interface ProjectWatcher {
  close(): void;
}

/** Calls `onChange` with the files changed, once saves have settled. */
export function watchProject(dir: string, onChange: (files: string[]) => void): ProjectWatcher {
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = foldersUnder(dir, dir).map((folder) =>
    watch(folder, (_event, name) => {
      if (name === null) return;
      const file = relative(dir, join(folder, name));
      if (IGNORED.test(file) || /(~|\.swp|\.partial)$/.test(file)) return;
      pending.add(file);
      clearTimeout(timer);
      timer = setTimeout(() => {
        const files = [...pending];
        pending = new Set();
        onChange(files);
      }, SETTLE_MS);
    }),
  );
  return {
    close() {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
