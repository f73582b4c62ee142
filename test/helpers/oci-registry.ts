// Starts the real CNCF distribution registry (`/usr/bin/docker-registry serve config.yml`) on a
// free port for tests, over plain HTTP, storing in a temporary directory. Optionally it requires
// credentials: htpasswd (Basic auth, bcrypt) or tokens from a small token server run here (Bearer
// auth: ES256 JWTs with an x5c certificate the registry trusts, as the distribution token spec
// describes). Its access log is kept so tests can count requests. Every process started here is
// stopped by `stop()` (call it in afterAll) and killed when the test process exits.

import { execFileSync, spawn } from 'node:child_process';
import { randomUUID, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { eventually } from './eventually.ts';
import { freePort } from './nats-server.ts';

const REGISTRY_BINARY = '/usr/bin/docker-registry';
const TOKEN_SERVICE = 'wasmcloud-ts-test-registry';
const TOKEN_ISSUER = 'wasmcloud-ts-test-token-issuer';

const children = new Set<ReturnType<typeof spawn>>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export interface RegistryUser {
  username: string;
  password: string;
}

export interface OciRegistryOptions {
  /** Require credentials: Basic auth from an htpasswd file, or Bearer tokens from a token server. */
  auth?: { kind: 'htpasswd' | 'token'; user: RegistryUser };
}

export interface RegistryRequestLine {
  method: string;
  path: string;
  status: number;
}

export interface OciRegistry {
  /** `127.0.0.1:{port}`, the registry part of references. */
  host: string;
  port: number;
  /** `{host}/{repositoryAndTag}` */
  ref(repositoryAndTag: string): string;
  /** Requests served so far, from the access log. */
  requests(): RegistryRequestLine[];
  /** Token requests the token server answered (token auth only), each with its scope. */
  tokenRequests(): Array<{ scope: string | null; status: number }>;
  /** Where the registry keeps a blob's bytes (to alter or remove them behind its back). */
  blobDataPath(digest: string): string;
  stop(): Promise<void>;
}

function registryConfig(port: number, storage: string, auth: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: false',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    auth,
    '',
  ].join('\n');
}

function base64url(data: Uint8Array | string): string {
  return Buffer.from(data).toString('base64url');
}

interface TokenServer {
  realm: string;
  certPath: string;
  requests: Array<{ scope: string | null; status: number }>;
  close(): Promise<void>;
}

/** A token server: Basic credentials in, an ES256 JWT granting the asked-for scope out. */
async function startTokenServer(dir: string, user: RegistryUser): Promise<TokenServer> {
  const keyPath = join(dir, 'token-key.pem');
  const certPath = join(dir, 'token-cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      '/CN=wasmcloud-ts test token issuer',
    ],
    { stdio: 'ignore' },
  );
  const key = readFileSync(keyPath, 'utf8');
  const certificate = new X509Certificate(readFileSync(certPath));
  const expected = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
  const requests: TokenServer['requests'] = [];

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://token');
    const scope = url.searchParams.get('scope');
    const answer = (status: number, body: unknown) => {
      requests.push({ scope, status });
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.headers.authorization !== expected) {
      return answer(401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad or missing credentials' }] });
    }
    const access = [];
    if (scope !== null) {
      const first = scope.indexOf(':');
      const last = scope.lastIndexOf(':');
      access.push({
        type: scope.slice(0, first),
        name: scope.slice(first + 1, last),
        actions: scope.slice(last + 1).split(','),
      });
    }
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'ES256', typ: 'JWT', x5c: [certificate.raw.toString('base64')] };
    const claims = {
      iss: TOKEN_ISSUER,
      sub: user.username,
      aud: url.searchParams.get('service'),
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
    answer(200, { token: `${signingInput}.${base64url(signature)}`, expires_in: 300 });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    realm: `http://127.0.0.1:${port}/token`,
    certPath,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function authConfig(dir: string, options: OciRegistryOptions, tokenServer: TokenServer | undefined): string {
  if (options.auth?.kind === 'htpasswd') {
    const { username, password } = options.auth.user;
    const path = join(dir, 'htpasswd');
    // The lowest bcrypt cost: the registry checks it on every request.
    writeFileSync(path, `${username}:${bcrypt.hashSync(password, 4)}\n`);
    return ['auth:', '  htpasswd:', '    realm: wasmcloud-ts-test', `    path: ${path}`].join('\n');
  }
  if (tokenServer) {
    return [
      'auth:',
      '  token:',
      `    realm: ${tokenServer.realm}`,
      `    service: ${TOKEN_SERVICE}`,
      `    issuer: ${TOKEN_ISSUER}`,
      `    rootcertbundle: ${tokenServer.certPath}`,
    ].join('\n');
  }
  return '';
}

async function waitForRegistry(port: number, exited: () => string | undefined): Promise<void> {
  const answered = await eventually(
    async () => {
      if (exited() !== undefined) return 'exited';
      await fetch(`http://127.0.0.1:${port}/v2/`, { signal: AbortSignal.timeout(1_000) });
      return 'answered';
    },
    { what: `docker-registry on port ${port} to answer`, timeoutMs: 10_000, intervalMs: 100 },
  );
  if (answered === 'exited') throw new Error(`docker-registry on port ${port} exited:\n${exited()}`);
}

const ACCESS_LINE = /"([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) /;

export async function startOciRegistry(options: OciRegistryOptions = {}): Promise<OciRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-registry-'));
  const storage = join(dir, 'storage');
  const tokenServer =
    options.auth?.kind === 'token' ? await startTokenServer(dir, options.auth.user) : undefined;
  const port = await freePort();
  const configPath = join(dir, 'config.yml');
  writeFileSync(configPath, registryConfig(port, storage, authConfig(dir, options, tokenServer)));

  const child = spawn(REGISTRY_BINARY, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const lines: RegistryRequestLine[] = [];
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    for (const line of text.split('\n')) {
      const match = ACCESS_LINE.exec(line);
      if (match) lines.push({ method: match[1]!, path: match[2]!, status: Number(match[3]) });
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exitedWith: string | undefined;
  child.once('exit', (code, signal) => {
    exitedWith = `code ${code}, signal ${signal}\n${output}`;
    children.delete(child);
  });
  try {
    await waitForRegistry(port, () => exitedWith);
  } catch (error) {
    child.kill('SIGKILL');
    await tokenServer?.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const host = `127.0.0.1:${port}`;
  return {
    host,
    port,
    ref: (repositoryAndTag) => `${host}/${repositoryAndTag}`,
    requests: () => [...lines],
    tokenRequests: () => [...(tokenServer?.requests ?? [])],
    blobDataPath: (digest) => {
      const hex = digest.replace(/^sha256:/, '');
      return join(storage, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
    },
    stop: async () => {
      if (exitedWith === undefined) {
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => child.kill('SIGKILL'), 2_000);
          child.once('exit', () => {
            clearTimeout(force);
            resolve();
          });
          child.kill('SIGTERM');
        });
      }
      await tokenServer?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
