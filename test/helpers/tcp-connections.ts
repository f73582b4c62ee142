// Counts established TCP connections from /proc/net/tcp{,6}: how tests and benchmarks see that a
// process opened or closed a connection to a server (a provider's link, a host's NATS) from outside.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

/** Whether something accepts TCP connections on 127.0.0.1:`port` (nothing is sent on the connection). */
export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Established TCP connections on this machine whose remote end is `port` (IPv4 and IPv6 tables). */
export function connectionsTo(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const [, , remoteAddress, state] = line.trim().split(/\s+/);
      if (state === '01' && remoteAddress?.endsWith(`:${hexPort}`)) count++;
    }
  }
  return count;
}
