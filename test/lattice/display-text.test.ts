import { describe, expect, it } from 'vitest';
import { clipText, DISPLAY_VALUE_LIMIT, truncateForDisplay } from '../../lattice/display-text.ts';

describe('truncateForDisplay', () => {
  it('leaves short plain text alone', () => {
    expect(truncateForDisplay('wasmcloud.azurecr.io/echo:0.3.4')).toBe('wasmcloud.azurecr.io/echo:0.3.4');
    expect(truncateForDisplay('')).toBe('');
    expect(truncateForDisplay('x'.repeat(DISPLAY_VALUE_LIMIT))).toBe('x'.repeat(DISPLAY_VALUE_LIMIT));
  });

  it('keeps a prefix and says how many bytes were left out', () => {
    const value = 'x'.repeat(800 * 1024);
    const shown = truncateForDisplay(value);
    expect(shown).toBe(
      `${'x'.repeat(DISPLAY_VALUE_LIMIT)}… (${800 * 1024 - DISPLAY_VALUE_LIMIT} bytes more)`,
    );
    expect(truncateForDisplay('abcdef', 3)).toBe('abc… (3 bytes more)');
  });

  it('counts the bytes left out in UTF-8 and never splits a character', () => {
    expect(truncateForDisplay('abcé€', 3)).toBe('abc… (5 bytes more)');
    // An emoji is two UTF-16 units: a cut between them keeps neither.
    expect(truncateForDisplay('ab😀cd', 3)).toBe('ab… (6 bytes more)');
    expect(truncateForDisplay('ab😀cd', 4)).toBe('ab😀… (2 bytes more)');
  });

  it('escapes control characters so a value cannot start a new log line', () => {
    expect(truncateForDisplay('echo\n2026-01-01 ERROR forged')).toBe('echo\\n2026-01-01 ERROR forged');
    expect(truncateForDisplay('a\r\tb\u0000c\u001b[31md\u007f\u0085\u2028')).toBe(
      'a\\r\\tb\\u0000c\\u001b[31md\\u007f\\u0085\\u2028',
    );
  });

  it('counts escapes against the limit', () => {
    expect(truncateForDisplay('\n\n\nabc', 5)).toBe('\\n\\n… (4 bytes more)');
    const shown = truncateForDisplay(`${'\u0001'.repeat(100_000)}tail`, 64);
    expect(shown.length).toBeLessThan(64 + 40);
    expect(shown).toMatch(/^(\\u0001){10}… \(99994 bytes more\)$/);
  });
});

describe('clipText', () => {
  it('bounds text without escaping it', () => {
    expect(clipText('line one\nline two', 100)).toBe('line one\nline two');
    expect(clipText('line one\nline two', 9)).toBe('line one\n… (8 bytes more)');
  });
});
