// The host's log: text and JSON lines, and the bound on every line (issue 12: one control message
// with an 800 KB value used to write an 800 KB line).

import { describe, expect, it } from 'vitest';
import { createLogger, MAX_LOG_FIELD, MAX_LOG_MESSAGE } from '../../host/log.ts';

function capture(structured: boolean) {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', structured, write: (line) => lines.push(line) });
  return { lines, log };
}

describe('createLogger', () => {
  it('writes text lines with fields, and drops lines under the level', () => {
    const { lines, log } = capture(false);
    log.debug('hidden');
    log.child({ provider: 'VKEY' }).info('started', { links: 2 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\S+ INFO {2}started provider=VKEY links=2\n$/);
  });

  it('writes JSON lines when structured', () => {
    const { lines, log } = capture(true);
    log.warn('careful', { actor: 'M1', count: 3 });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', message: 'careful', actor: 'M1', count: 3 });
  });

  it('bounds the message and each field, in both forms', () => {
    for (const structured of [false, true]) {
      const { lines, log } = capture(structured);
      log.warn(`actor ${'x'.repeat(800 * 1024)} failed`, { ref: 'r'.repeat(800 * 1024), labels: { a: 'b' } });
      expect(lines).toHaveLength(1);
      const line = lines[0]!;
      expect(line.length).toBeLessThan(MAX_LOG_MESSAGE + 2 * MAX_LOG_FIELD + 200);
      expect(line).toMatch(/x… \(\d+ bytes more\)/);
      expect(line).toMatch(/r… \(\d+ bytes more\)/);
      if (structured) expect(JSON.parse(line).labels).toEqual({ a: 'b' });
    }
  });

  it('keeps the lines of a short multi-line message (a stack trace)', () => {
    const { lines, log } = capture(false);
    log.error('uncaught exception: Error: boom\n    at f (a.ts:1:1)');
    expect(lines[0]).toContain('boom\n    at f (a.ts:1:1)\n');
  });
});
