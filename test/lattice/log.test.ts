// The one log of the host and of provider processes: text and JSON lines, a provider's label, and
// the bound on every line (issue 12: one control message with an 800 KB value used to write an
// 800 KB line).

import { describe, expect, it } from 'vitest';
import { createLogger, type LoggerOptions, MAX_LOG_FIELD, MAX_LOG_MESSAGE } from '../../lattice/log.ts';

function capture(options: LoggerOptions) {
  const lines: string[] = [];
  const log = createLogger({ ...options, write: (line) => void lines.push(line) });
  return { lines, log };
}

describe('createLogger', () => {
  it('writes text lines with fields, and drops lines under the level', () => {
    const { lines, log } = capture({ level: 'info', structured: false });
    log.debug('hidden');
    log.child({ provider: 'VKEY' }).info('started', { links: 2 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\S+ INFO {2}started provider=VKEY links=2\n$/);
  });

  it('writes JSON lines when structured', () => {
    const { lines, log } = capture({ level: 'info', structured: true });
    log.warn('careful', { actor: 'M1', count: 3 });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', message: 'careful', actor: 'M1', count: 3 });
    expect(Object.keys(JSON.parse(lines[0]!))).toEqual(['time', 'level', 'message', 'actor', 'count']);
  });

  it('logs at info, as text, when no level or form is given', () => {
    const { lines, log } = capture({});
    log.debug('hidden');
    log.info('shown');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\S+ INFO {2}shown\n$/);
  });

  it("labels a provider's text lines with its key before the message", () => {
    const { lines, log } = capture({ level: 'info', label: { field: 'provider', value: 'VKEY' } });
    log.debug('hidden');
    log.info('shown', { actor: 'M1' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\S+ INFO {2}\[VKEY\] shown actor=M1\n$/);
  });

  it('puts the label right after the level in JSON lines, and logs "critical" as error', () => {
    const { lines, log } = capture({
      level: 'critical',
      structured: true,
      label: { field: 'provider', value: 'VKEY' },
    });
    log.warn('hidden');
    log.error('boom', { code: 7 });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 'error', provider: 'VKEY', message: 'boom', code: 7 });
    expect(Object.keys(entry)).toEqual(['time', 'level', 'provider', 'message', 'code']);
  });

  it('bounds the message and each field, in both forms', () => {
    for (const structured of [false, true]) {
      const { lines, log } = capture({ level: 'info', structured });
      log.warn(`actor ${'x'.repeat(800 * 1024)} failed`, { ref: 'r'.repeat(800 * 1024), labels: { a: 'b' } });
      expect(lines).toHaveLength(1);
      const line = lines[0]!;
      expect(line.length).toBeLessThan(MAX_LOG_MESSAGE + 2 * MAX_LOG_FIELD + 200);
      expect(line).toMatch(/x… \(\d+ bytes more\)/);
      expect(line).toMatch(/r… \(\d+ bytes more\)/);
      if (structured) expect(JSON.parse(line).labels).toEqual({ a: 'b' });
    }
  });

  it('bounds a labelled line too: a provider logging what a caller sent cannot write a megabyte', () => {
    for (const structured of [false, true]) {
      const { lines, log } = capture({ structured, label: { field: 'provider', value: 'VKEY' } });
      log.warn(`got ${'m'.repeat(1_000_000)}`, { path: 'p'.repeat(1_000_000), n: 1 });
      expect(lines).toHaveLength(1);
      expect(lines[0]!.length).toBeLessThan(MAX_LOG_MESSAGE + 2 * MAX_LOG_FIELD + 200);
      expect(lines[0]).toMatch(/m… \(\d+ bytes more\)/);
      expect(lines[0]).toMatch(/p… \(\d+ bytes more\)/);
    }
  });

  it('keeps the lines of a short multi-line message (a stack trace)', () => {
    const { lines, log } = capture({ level: 'info', structured: false });
    log.error('uncaught exception: Error: boom\n    at f (a.ts:1:1)');
    expect(lines[0]).toContain('boom\n    at f (a.ts:1:1)\n');
  });
});
