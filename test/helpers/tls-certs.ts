// A certificate authority and a server certificate for 127.0.0.1/localhost, made with `openssl` in
// a directory of the test's own: what a secured nats-server presents and what its clients trust.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TlsFiles {
  /** The CA certificate (PEM) clients trust. */
  caFile: string;
  /** The server's certificate (PEM, signed by the CA) and its key. */
  certFile: string;
  keyFile: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Writes ca.pem, server.pem and server-key.pem into `dir` (valid for a day). */
export function createTlsFiles(dir: string, commonName = 'wasmcloud-ts test CA'): TlsFiles {
  const files = {
    caFile: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server-key.pem'),
    request: join(dir, 'server.csr'),
    extensions: join(dir, 'server.ext'),
  };
  openssl(
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', files.caKey, '-out', files.caFile, '-days', '1', '-subj', `/CN=${commonName}`],
    ],
    dir,
  );
  openssl(
    [
      ...['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', files.keyFile, '-out', files.request, '-subj', '/CN=127.0.0.1'],
    ],
    dir,
  );
  writeFileSync(files.extensions, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    [
      ...['x509', '-req', '-in', files.request, '-CA', files.caFile, '-CAkey', files.caKey],
      ...['-CAcreateserial', '-out', files.certFile, '-days', '1', '-extfile', files.extensions],
    ],
    dir,
  );
  return { caFile: files.caFile, certFile: files.certFile, keyFile: files.keyFile };
}
