// The HTTP benchmark's baselines, each a separate process answering with the echo actor's JSON:
//   plain <port>                       fastify builds the JSON itself
//   nats  <port> <nats-url> <subject>  fastify sends the JSON through one NATS request to a
//                                      responder process (bench/nats-responder.ts) and answers
//                                      with what comes back
// It prints `ready` once listening, and exits on SIGTERM.

import Fastify, { type FastifyRequest } from 'fastify';
import { connectNats } from '../lattice/nats.ts';

const [mode, portText, natsUrl, subject] = process.argv.slice(2);
if ((mode !== 'plain' && mode !== 'nats') || !portText || (mode === 'nats' && (!natsUrl || !subject))) {
  process.stderr.write(
    'usage: node bench/http-baseline-server.ts plain <port> | nats <port> <nats-url> <subject>\n',
  );
  process.exit(2);
}

/** The echo actor's answer, assembled as it does. */
function echoJson(request: FastifyRequest): string {
  const url = request.raw.url ?? '/';
  const question = url.indexOf('?');
  const body = request.body instanceof Uint8Array ? request.body : new Uint8Array(0);
  const path = question === -1 ? url : url.slice(0, question);
  const query = question === -1 ? '' : url.slice(question + 1);
  return `{"body":[${body.join(',')}],"method":${JSON.stringify(request.method)},"path":${JSON.stringify(path)},"query_string":${JSON.stringify(query)}}`;
}

const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

const closing: Array<() => Promise<unknown>> = [() => app.close()];
if (mode === 'plain') {
  app.all('*', async (request, reply) => reply.type('application/json').send(echoJson(request)));
} else {
  const nc = await connectNats({ url: natsUrl! });
  closing.push(() => nc.close());
  const encoder = new TextEncoder();
  app.all('*', async (request, reply) => {
    const answer = await nc.request(subject!, encoder.encode(echoJson(request)), { timeout: 2_000 });
    return reply.type('application/json').send(Buffer.from(answer.data));
  });
}

await app.listen({ host: '127.0.0.1', port: Number(portText) });
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  // Exiting anyway: a close that fails leaves nothing the exit does not release.
  for (const close of closing) await close().catch(() => undefined);
  process.exit(0);
});
