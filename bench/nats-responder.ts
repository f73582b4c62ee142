// The baseline's other end: a separate process that answers every request on `subject` with the
// bytes it was sent, so the raw figure pays the same hops (client → nats-server → another process
// → back) as a call into a host does.

import { connectNats } from '../lattice/nats.ts';

const [url, subject] = process.argv.slice(2);
if (!url || !subject) {
  process.stderr.write('usage: node bench/nats-responder.ts <nats-url> <subject>\n');
  process.exit(2);
}
const nc = await connectNats({ url });
nc.subscribe(subject, { callback: (_error, msg) => msg.respond(msg.data) });
await nc.flush();
process.stdout.write('ready\n');
process.on('SIGTERM', () => void nc.close().then(() => process.exit(0)));
