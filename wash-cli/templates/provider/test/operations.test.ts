// The {{name}} provider's operations, called as the SDK calls them (node:test, no lattice needed):
// `npm test`.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePayload, encodePayload, type InvocationContext } from 'wash/provider-sdk';
import { operations } from '../src/operations.ts';

const quietLog = { debug() {}, info() {}, warn() {}, error() {} };
const context = { actorId: 'M_TEST', provider: { log: quietLog } } as unknown as InvocationContext;

test('Greeter.Greet greets the name it is given', async () => {
  const greet = operations['Greeter.Greet'];
  assert.ok(greet);
  const reply = await greet(encodePayload('wasmCloud'), context);
  assert.equal(decodePayload(reply ?? new Uint8Array()), 'Hello, wasmCloud!');
});

test('Greeter.Greet refuses a payload that is not a string', async () => {
  const greet = operations['Greeter.Greet'];
  assert.ok(greet);
  await assert.rejects(async () => greet(encodePayload(42), context), /takes a string/);
});
