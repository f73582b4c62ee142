// The last lines of a process's output, kept for the error when it dies.

import { readFileSync } from 'node:fs';
import { warn } from '../../output.ts';

const LOG_LINES_KEPT = 30;

/** The last lines of a process's output, for the error when it dies; also spots the dashboard URL. */
export class LogTail {
  readonly lines: string[] = [];
  dashboardUrl: string | undefined;
  #partial = '';

  /** Feeds a chunk of output; calls `onLine` with each complete line. */
  push(chunk: string, onLine?: (line: string) => void): void {
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > LOG_LINES_KEPT) this.lines.shift();
      this.dashboardUrl ??= /dashboard\S*\s.*?(https?:\/\/[^\s"',]+)/i.exec(line)?.[1];
      onLine?.(line);
    }
  }

  static ofFile(path: string): LogTail {
    const tail = new LogTail();
    try {
      tail.push(`${readFileSync(path, 'utf8')}\n`);
    } catch {
      // nothing written yet
    }
    return tail;
  }
}

export function printLogTail(what: string, tail: LogTail): void {
  const lines = tail.lines.filter((line) => line.trim() !== '');
  if (lines.length === 0) return;
  warn(`last lines of the ${what}'s log:`);
  for (const line of lines) warn(`  ${line}`);
}
