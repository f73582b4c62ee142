// The collector of the HTTP benchmark's traced host: takes POST /v1/traces (OTLP/HTTP JSON) and
// answers 200 with nothing kept, in a process of its own so reading the spans costs neither the
// load generator nor the host. Prints `ready` once listening; prints the spans received on SIGTERM.
//   node bench/otlp-sink.ts <port>

import { createServer } from 'node:http';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: node bench/otlp-sink.ts <port>\n');
  process.exit(2);
}

let requests = 0;
let bytes = 0;
const server = createServer((request, response) => {
  request.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  request.on('end', () => {
    requests++;
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.once('SIGTERM', () => {
  process.stderr.write(`otlp sink: ${requests} exports, ${(bytes / 1e6).toFixed(1)} MB of spans\n`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
