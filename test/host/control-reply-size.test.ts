// A control reply larger than the server's max_payload (the inventory of a host with very many
// actors, here with a large label on a server with a small max_payload) cannot be sent: the host
// answers with a refusal naming the reply's size and logs it, instead of an unhandled rejection
// (which now stops the host, docs/host.md "Failures and exit codes") and a requester left to time out.

import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';
import { startTestHost, type TestHost } from '../helpers/host.ts';
import { ctlRequest } from '../helpers/lattice-client.ts';
import { type NatsServer, startNatsServer } from '../helpers/nats-server.ts';

let nats: NatsServer;
let host: TestHost;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await startNatsServer({ maxPayload: 8192 });
  host = await startTestHost({ natsUrl: nats.url, labels: { notes: 'x'.repeat(10_000) } });
  nc = await connectNats({ url: nats.url });
});

afterAll(async () => {
  await nc?.close();
  await host?.host.stop();
  await nats?.stop();
});

test('an inventory too large for max_payload is answered with a refusal that names its size', async () => {
  const reply = await ctlRequest(nc, latticeSubjects('default').ctl.hostInventory(host.id));
  expect(reply).toMatchObject({ accepted: false, code: 'CONTROL_REPLY_TOO_LARGE' });
  expect(String(reply.error)).toMatch(
    /^the reply \(\d{5} bytes\) could not be sent: it is over the NATS server's max_payload of 8192 bytes/,
  );
  expect(host.logs.join('')).toMatch(
    /WARN +control request on \S+\.inv: the reply \(\d{5} bytes\) could not be sent/,
  );
  // The host still answers what fits.
  const links = await ctlRequest(nc, latticeSubjects('default').ctl.getLinks());
  expect(links).toMatchObject({ links: [] });
});
