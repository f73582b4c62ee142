// `KEY=VALUE` text as the dashboard's forms send it (link values, auction constraints): entries
// on lines or after commas, values that hold commas and `=`, and the bad entry named.

import { expect, test } from 'vitest';
import { parseKeyValueText } from '../../dashboard/api-schemas.ts';

test('entries one per line or comma-separated; blank entries and spaces around them ignored', () => {
  expect(parseKeyValueText('PORT=8080, ADDRESS=0.0.0.0:8080\n\n  log = debug ')).toEqual({
    PORT: '8080',
    ADDRESS: '0.0.0.0:8080',
    log: 'debug',
  });
  expect(parseKeyValueText('')).toEqual({});
});

test('a comma not followed by KEY= stays in the value; the value is everything after the first =', () => {
  expect(parseKeyValueText('SUBSCRIPTION=a.b,c.d,URI=nats://127.0.0.1:4222,config_b64=eyJ9==')).toEqual({
    SUBSCRIPTION: 'a.b,c.d',
    URI: 'nats://127.0.0.1:4222',
    config_b64: 'eyJ9==',
  });
  expect(parseKeyValueText('EMPTY=')).toEqual({ EMPTY: '' });
});

test('a key named __proto__ is an ordinary key', () => {
  const values = parseKeyValueText('__proto__=x');
  expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
  expect(Object.getOwnPropertyDescriptor(values, '__proto__')?.value).toBe('x');
});

test.each([
  ['PORT', '"PORT" is not KEY=VALUE (a key is letters, digits, _ . -)'],
  ['=8080', '"=8080" is not KEY=VALUE (a key is letters, digits, _ . -)'],
  ['my key=1', '"my key=1" is not KEY=VALUE (a key is letters, digits, _ . -)'],
  ['A=1\nA=2', 'the key A is given twice'],
])('%j is refused: %s', (text, message) => {
  expect(() => parseKeyValueText(text)).toThrow(message);
});
