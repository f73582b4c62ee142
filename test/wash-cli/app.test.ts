// `wash app` against a stand-in controller: the real wash CLI (a child process) on a real
// nats-server, where this test answers the wadm.api.{lattice}.model.* subjects with fixed replies
// (the shapes of lattice/wadm-api.ts) and records every request. What is under test is wash's own
// part: which subject and body each command sends, the tables and `-o json` it prints, and the
// one-line errors and exit codes for refusals, missing applications, unreadable files, no
// controller, no reply in time and malformed replies. app-e2e.test.ts runs the real controller.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeJsonMessage } from '../../lattice/json-message.ts';
import { connectNats, type NatsConnection } from '../../lattice/nats.ts';
import { freePort, type NatsServer, startNatsServer } from '../helpers/nats-server.ts';
import { expectOneLineError, runWash, type WashRun } from '../helpers/wash.ts';

const LATTICE = 'apptest';
const API = `wadm.api.${LATTICE}.model`;
const MANIFEST_YAML = `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: echo
  annotations:
    version: v0.0.3
spec:
  components: []
`;

interface SeenRequest {
  subject: string;
  body: string;
}

/** What the stand-in answers: a reply (JSON-encoded unless a string), or SILENT for none. */
const SILENT = Symbol('silent');
type Answer = (request: SeenRequest) => unknown;

let nats: NatsServer;
let responder: NatsConnection;
let dir: string;
let manifestPath: string;
let answer: Answer = () => SILENT;
const requests: SeenRequest[] = [];

function wash(args: string[], env: Record<string, string> = {}): Promise<WashRun> {
  return runWash(args, {
    env: { WASH_HOME: join(dir, 'wash-home'), HOME: dir, WASMCLOUD_CTL_TIMEOUT_MS: '', ...env },
    cwd: dir,
  });
}

/** `wash app …` against this suite's lattice. */
function app(...args: string[]): Promise<WashRun> {
  return wash(['app', ...args, '-p', String(nats.port), '-x', LATTICE]);
}

function json(run: WashRun): Record<string, unknown> {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

/** A failure under -o json: exit 1, nothing on stdout, one JSON line on stderr. */
function jsonError(run: WashRun): { success: boolean; error: string; code?: string } {
  expect(run.code).toBe(1);
  expect(run.stdout).toBe('');
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as { success: boolean; error: string; code?: string };
}

/** Answers by operation (and application name): `{ 'deploy.echo': reply, put: reply }`. */
function answerBy(replies: Record<string, unknown>): Answer {
  return ({ subject }) => {
    const key = subject.slice(API.length + 1);
    return key in replies ? replies[key] : SILENT;
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wash-app-'));
  manifestPath = join(dir, 'echo-app.yaml');
  writeFileSync(manifestPath, MANIFEST_YAML);
  nats = await startNatsServer();
  responder = await connectNats({ url: `127.0.0.1:${nats.port}`, name: 'stand-in controller' });
  responder.subscribe(`${API}.>`, {
    callback: (_error, msg) => {
      const request = { subject: msg.subject, body: new TextDecoder().decode(msg.data) };
      requests.push(request);
      const reply = answer(request);
      if (reply === SILENT) return;
      msg.respond(typeof reply === 'string' ? new TextEncoder().encode(reply) : encodeJsonMessage(reply));
    },
  });
  await responder.flush();
});

beforeEach(() => {
  requests.length = 0;
  answer = () => SILENT;
});

afterAll(async () => {
  await responder?.close();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('wash app --help', () => {
  it('names the eight subcommands, and each has its own help with the connection flags', async () => {
    const help = await wash(['app', '--help']);
    expect(help.code).toBe(0);
    for (const name of ['put', 'deploy', 'undeploy', 'list', 'get', 'history', 'del|delete', 'status']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${name.replace('|', '\\|')} `, 'm'));
    }
    const deploy = await wash(['app', 'deploy', '--help']);
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toContain('Usage: wash app deploy [options] <name|file> [version]');
    expect(deploy.stdout).toContain('--ctl-credsfile');
    expect(deploy.stdout).toContain("how long to wait for the controller's reply");
    const status = await wash(['app', 'status', '--help']);
    expect(status.stdout).toContain('Usage: wash app status [options] <name>');
  });
});

describe('wash app put', () => {
  it('sends the file as it is and says which version was stored', async () => {
    answer = answerBy({
      put: { result: 'created', total_versions: 1, current_version: 'v0.0.3', message: '', name: 'echo' },
    });
    const text = await app('put', manifestPath);
    expect(text.code).toBe(0);
    expect(text.stdout.trim()).toBe('Stored application echo version v0.0.3 (its first version)');
    expect(requests).toEqual([{ subject: `${API}.put`, body: MANIFEST_YAML }]);

    // A put accepted with warnings shows each on its own line; the rest restates the success.
    const message =
      'stored version v0.0.4 of application echo; warning: source_config is deprecated; warning: unknown contract wasmcloud:thing';
    answer = answerBy({
      put: { result: 'newversion', total_versions: 2, current_version: 'v0.0.4', message, name: 'echo' },
    });
    const warned = await app('put', manifestPath);
    expect(warned.stdout.trim().split('\n')).toEqual([
      'Stored application echo version v0.0.4 (2 versions stored)',
      '  warning: source_config is deprecated',
      '  warning: unknown contract wasmcloud:thing',
    ]);
    expect(json(await app('put', manifestPath, '-o', 'json'))).toEqual({
      result: 'newversion',
      total_versions: 2,
      current_version: 'v0.0.4',
      message,
      name: 'echo',
      success: true,
    });
  });

  it("shows a refusal as one line with the controller's words, and code WASH_APP_REFUSED under -o json", async () => {
    const message =
      'spec.components[1].traits[0].properties.replicas: expected a non-negative integer\nspec.components[2]: duplicate name echo';
    answer = answerBy({ put: { result: 'error', message } });
    expectOneLineError(
      await app('put', manifestPath),
      /^error: spec\.components\[1\]\.traits\[0\]\.properties\.replicas: expected a non-negative integer; spec\.components\[2\]: duplicate name echo$/,
    );
    expect(jsonError(await app('put', manifestPath, '-o', 'json'))).toEqual({
      success: false,
      error:
        'spec.components[1].traits[0].properties.replicas: expected a non-negative integer; spec.components[2]: duplicate name echo',
      code: 'WASH_APP_REFUSED',
    });
  });

  it('refuses an unreadable or empty file before asking anyone', async () => {
    answer = answerBy({ put: { result: 'created', current_version: 'v1', name: 'echo' } });
    expectOneLineError(
      await app('put', join(dir, 'missing.yaml')),
      /^error: cannot read manifest .*missing\.yaml: no such file$/,
    );
    expect(jsonError(await app('deploy', join(dir, 'missing.yaml'), '-o', 'json')).code).toBe(
      'WASH_FILE_NOT_FOUND',
    );
    expect(jsonError(await app('put', dir, '-o', 'json'))).toMatchObject({
      error: `cannot read manifest ${dir}: it is a directory`,
      code: 'WASH_BAD_FILE',
    });
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, '\n  \n');
    expect(jsonError(await app('put', empty, '-o', 'json')).code).toBe('WASH_BAD_FILE');
    expect(requests).toEqual([]);
  });
});

describe('wash app deploy and undeploy', () => {
  it('deploys a file: puts it, then deploys exactly the version the put stored', async () => {
    answer = answerBy({
      put: { result: 'newversion', total_versions: 3, current_version: 'v0.0.3', message: '', name: 'echo' },
      'deploy.echo': { result: 'acknowledged', message: '', name: 'echo', version: 'v0.0.3' },
    });
    const text = await app('deploy', manifestPath);
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split('\n')).toEqual([
      'Stored application echo version v0.0.3 (3 versions stored)',
      'Deploying application echo version v0.0.3: acknowledged (wash app status echo shows its progress)',
    ]);
    expect(requests).toEqual([
      { subject: `${API}.put`, body: MANIFEST_YAML },
      { subject: `${API}.deploy.echo`, body: '{"version":"v0.0.3"}' },
    ]);
    const reply = json(await app('deploy', manifestPath, '-o', 'json'));
    expect(reply).toMatchObject({
      result: 'acknowledged',
      name: 'echo',
      version: 'v0.0.3',
      put: { result: 'newversion', current_version: 'v0.0.3', total_versions: 3 },
      success: true,
    });
  });

  it('a refused put deploys nothing', async () => {
    answer = answerBy({ put: { result: 'error', message: 'version latest is not allowed' } });
    expectOneLineError(await app('deploy', manifestPath), /^error: version latest is not allowed$/);
    expect(requests.map((request) => request.subject)).toEqual([`${API}.put`]);
  });

  it('deploys a stored application by name: its latest, or the version given', async () => {
    answer = answerBy({
      'deploy.echo': { result: 'acknowledged', message: '', name: 'echo', version: 'v2' },
    });
    const latest = await app('deploy', 'echo');
    expect(latest.code).toBe(0);
    expect(latest.stdout).toContain('Deploying application echo version v2: acknowledged');
    expect(json(await app('deploy', 'echo', 'v1', '-o', 'json'))).toMatchObject({ result: 'acknowledged' });
    expect(requests).toEqual([
      { subject: `${API}.deploy.echo`, body: '{}' },
      { subject: `${API}.deploy.echo`, body: '{"version":"v1"}' },
    ]);
  });

  it('an unknown application or version is an error (WASH_APP_NOT_FOUND), as is a file with a version', async () => {
    answer = answerBy({ 'deploy.ghost': { result: 'notfound', message: '' } });
    expectOneLineError(
      await app('deploy', 'ghost', 'v9'),
      /^error: version v9 of application ghost not found$/,
    );
    expect(jsonError(await app('deploy', 'ghost', '-o', 'json'))).toEqual({
      success: false,
      error: 'application ghost not found',
      code: 'WASH_APP_NOT_FOUND',
    });
    requests.length = 0;
    expectOneLineError(
      await app('deploy', manifestPath, 'v1'),
      /^error: a version goes with an application name, not a file: .* deploys the version it puts$/,
    );
    expectOneLineError(await app('deploy', 'no.such'), /^error: invalid application name "no\.such"/);
    expect(jsonError(await app('status', 'no*such', '-o', 'json')).code).toBe('WASH_BAD_ARGUMENT');
    expect(requests).toEqual([]);
  });

  it('undeploys by name; an unknown application is an error', async () => {
    answer = answerBy({
      'undeploy.echo': { result: 'acknowledged', message: '' },
      'undeploy.ghost': { result: 'notfound', message: 'no application named ghost' },
    });
    const done = await app('undeploy', 'echo');
    expect(done.code).toBe(0);
    expect(done.stdout.trim()).toBe(
      'Undeploying application echo: acknowledged (what it started is being stopped)',
    );
    expect(requests).toEqual([{ subject: `${API}.undeploy.echo`, body: '{}' }]);
    expect(json(await app('undeploy', 'echo', '-o', 'json'))).toEqual({
      result: 'acknowledged',
      message: '',
      success: true,
    });
    expect(jsonError(await app('undeploy', 'ghost', '-o', 'json'))).toMatchObject({
      error: 'no application named ghost',
      code: 'WASH_APP_NOT_FOUND',
    });
  });
});

describe('wash app list, get, history, del, status', () => {
  const models = [
    {
      name: 'web',
      version: 'v3',
      description: 'the shop',
      deployed_version: 'v2',
      status: 'compensating',
      status_message: '',
    },
    { name: 'echo', version: 'v0.0.1', description: null, deployed_version: null, status: 'undeployed' },
  ];

  it('lists applications as a table sorted by name, and as JSON under models', async () => {
    answer = answerBy({ list: models });
    const text = await app('list');
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Name\s+Latest Version\s+Deployed Version\s+Status\s+Description$/);
    expect(lines[1]).toMatch(/^echo\s+v0\.0\.1\s+N\/A\s+undeployed$/);
    // `compensating` is read as its current name.
    expect(lines[2]).toMatch(/^web\s+v3\s+v2\s+reconciling\s+the shop$/);
    expect(requests).toEqual([{ subject: `${API}.list`, body: '' }]);
    const listed = json(await app('list', '-o', 'json'));
    expect((listed.models as Array<{ name: string }>).map((model) => model.name)).toEqual(['web', 'echo']);
  });

  it('reads the wrapped list of newer wadm too, and says when there is nothing', async () => {
    answer = answerBy({ list: { result: 'success', message: '', models } });
    expect((json(await app('list', '-o', 'json')).models as unknown[]).length).toBe(2);
    answer = answerBy({ list: [] });
    const empty = await app('list');
    expect(empty.stdout.trim()).toBe(
      `No applications in lattice "${LATTICE}" (wash app put or wash app deploy adds one)`,
    );
  });

  it('prints a manifest as YAML, or the reply as JSON; a missing one is an error', async () => {
    const manifest = {
      apiVersion: 'core.oam.dev/v1beta1',
      kind: 'Application',
      metadata: { name: 'echo', annotations: { version: 'v0.0.1' } },
      spec: {
        components: [{ name: 'echo', type: 'actor', properties: { image: 'actors/build/echo_s.wasm' } }],
      },
    };
    answer = answerBy({ 'get.echo': { result: 'success', message: '', manifest } });
    const text = await app('get', 'echo', 'v0.0.1');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      'apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: echo',
    );
    expect(text.stdout).toContain('      properties:\n        image: actors/build/echo_s.wasm');
    expect(requests).toEqual([{ subject: `${API}.get.echo`, body: '{"version":"v0.0.1"}' }]);
    expect(json(await app('get', 'echo', '-o', 'json'))).toEqual({
      result: 'success',
      message: '',
      manifest,
      success: true,
    });
    expect(requests[1]).toEqual({ subject: `${API}.get.echo`, body: '{}' });
    answer = answerBy({ 'get.echo': { result: 'notfound', message: '' } });
    expectOneLineError(await app('get', 'echo', 'v7'), /^error: version v7 of application echo not found$/);
  });

  it('lists the versions, marking the deployed one', async () => {
    answer = answerBy({
      'versions.echo': {
        result: 'success',
        message: '',
        versions: [
          { version: 'v1', deployed: false },
          { version: 'v2', deployed: true },
          { version: 'v3', deployed: false },
        ],
      },
    });
    const text = await app('history', 'echo');
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split('\n')).toEqual([
      'Version  Deployed',
      'v1',
      'v2       yes',
      'v3',
      '',
      'Deployed: v2',
    ]);
    expect(requests).toEqual([{ subject: `${API}.versions.echo`, body: '' }]);
    expect(json(await app('history', 'echo', '-o', 'json')).versions).toHaveLength(3);
    answer = answerBy({ 'versions.ghost': { result: 'notfound', message: '' } });
    expect(jsonError(await app('history', 'ghost', '-o', 'json')).code).toBe('WASH_APP_NOT_FOUND');
  });

  it('deletes one version or all of them; nothing to delete is not a failure', async () => {
    answer = answerBy({ 'del.echo': { result: 'deleted', message: '', undeploy: true } });
    const all = await app('del', 'echo');
    expect(all.code).toBe(0);
    expect(all.stdout.trim()).toBe(
      'Deleted every version of application echo (it was deployed: undeploying)',
    );
    const one = await app('delete', 'echo', 'v1', '-o', 'json');
    expect(json(one)).toEqual({ result: 'deleted', message: '', undeploy: true, success: true });
    expect(requests).toEqual([
      { subject: `${API}.del.echo`, body: '{}' },
      { subject: `${API}.del.echo`, body: '{"version":"v1"}' },
    ]);
    answer = answerBy({ 'del.echo': { result: 'noop', message: '' } });
    const noop = await app('del', 'echo', 'v9');
    expect(noop.code).toBe(0);
    expect(noop.stdout.trim()).toBe('Nothing deleted: version v9 of application echo was not stored');
    answer = answerBy({ 'del.echo': { result: 'error', message: 'the store is unavailable' } });
    expect(jsonError(await app('del', 'echo', '-o', 'json'))).toMatchObject({
      error: 'the store is unavailable',
      code: 'WASH_APP_REFUSED',
    });
  });

  it("shows the application's status and each scaler's with its reason", async () => {
    answer = answerBy({
      'status.web': {
        result: 'ok',
        message: '',
        status: {
          status: { type: 'failed', message: 'a scaler failed' },
          scalers: [
            {
              id: 'a1',
              kind: 'SpreadScaler',
              name: 'web',
              status: { type: 'failed', message: 'no host satisfies\nzone=us-east-1' },
            },
            { id: 'b2', kind: 'DaemonScaler', name: 'httpserver', status: { type: 'ready' } },
          ],
        },
      },
    });
    const text = await app('status', 'web');
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'Application  web',
      'Status       failed',
      'Reason       a scaler failed',
    ]);
    expect(lines[4]).toBe('Scalers');
    expect(lines[5]).toMatch(/^ {2}Kind\s+Name\s+Status\s+Reason$/);
    expect(lines[6]).toMatch(/^ {2}SpreadScaler\s+web\s+failed\s+no host satisfies; zone=us-east-1$/);
    expect(lines[7]).toMatch(/^ {2}DaemonScaler\s+httpserver\s+deployed$/);
    expect(requests).toEqual([{ subject: `${API}.status.web`, body: '' }]);
    const reply = json(await app('status', 'web', '-o', 'json')) as {
      status: { scalers: Array<{ status: { type: string } }> };
    };
    expect(reply.status.scalers.map((scaler) => scaler.status.type)).toEqual(['failed', 'deployed']);
    answer = answerBy({ 'status.ghost': { result: 'notfound', message: 'no application named ghost' } });
    expectOneLineError(await app('status', 'ghost'), /^error: no application named ghost$/);
  });
});

describe('when the controller cannot be asked', () => {
  it('no controller in the lattice: one line saying so and how to start one', async () => {
    const run = await wash(['app', 'list', '-p', String(nats.port), '-x', 'nocontroller']);
    expectOneLineError(
      run,
      /^error: no application controller is running in lattice "nocontroller": nobody listens on wadm\.api\.nocontroller\.model\.list; start one with wash up$/,
    );
    const deploy = await wash([
      'app',
      'deploy',
      manifestPath,
      '-p',
      String(nats.port),
      '-x',
      'nocontroller',
      '-o',
      'json',
    ]);
    expect(jsonError(deploy)).toMatchObject({ code: 'WADM_NO_CONTROLLER' });
  });

  it('a controller that does not answer in time (-t) or answers nonsense', async () => {
    answer = () => SILENT;
    const late = await app('status', 'echo', '-t', '300', '-o', 'json');
    expect(jsonError(late)).toEqual({
      success: false,
      error: `no reply from the application controller within 300 ms on ${API}.status.echo`,
      code: 'WADM_TIMEOUT',
    });
    answer = answerBy({ 'status.echo': { result: 'fine' } });
    const malformed = await app('status', 'echo');
    expectOneLineError(
      malformed,
      new RegExp(`^error: reply on ${API.replaceAll('.', '\\.')}\\.status\\.echo: .*result`),
    );
    answer = answerBy({ 'status.echo': 'not json' });
    expect(jsonError(await app('status', 'echo', '-o', 'json')).code).toBe('WADM_BAD_REPLY');
  });

  it('no NATS at all: the connection error, one line', async () => {
    const port = await freePort();
    expectOneLineError(
      await wash(['app', 'list', '-p', String(port)]),
      /^error: cannot connect to NATS at 127\.0\.0\.1:/,
    );
  });
});
