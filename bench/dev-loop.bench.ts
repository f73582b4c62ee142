// `npm run bench -- dev-loop`: issue 18's "editing the greeting changes the answer within 5 s".
// A hello project from `wash new actor`, run by `wash dev --timings` on a lattice it starts itself
// (nats-server and a host on a free port); each edit rewrites the greeting and times save → the
// first HTTP answer with the new text, with its parts from wash dev's status lines (the build's
// steps, the `upd` until the host acks) and the rest (the file watch's settle, the first call's
// new instance in a worker, HTTP). Beside it, in the same run, what the same work cost the old way:
// componentize() once in a fresh process, componentize() again in a warm one with the splice cached
// (wizer as a process, stubWasi, componentNew: what each rebuild paid), and jco's transpile of the
// component (what each `upd` paid on the host).

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/helpers/nats-server.ts';
import { percentile } from './harness.ts';

const NODE = process.execPath;
const REPO = join(import.meta.dirname, '..');
const WASH = join(REPO, 'wash-cli', 'wash.js');
const EDITS = 7;
const TARGET_MS = 5_000;

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

const p50 = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

function until(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 10);
    };
    poll();
  });
}

/** componentize() of the project's source in a new process, as every rebuild ran it before: wall ms. */
function coldComponentize(project: string): number {
  const script = `
    import { mkdtempSync } from 'node:fs';
    import { tmpdir } from 'node:os';
    import { join } from 'node:path';
    const { buildTypeScriptComponent } = await import(${JSON.stringify(join(REPO, 'actors', 'toolchains', 'typescript.ts'))});
    const work = mkdtempSync(join(tmpdir(), 'dev-loop-cold-'));
    const context = { actorDir: ${JSON.stringify(join(project, 'src'))}, workDir: work, witDir: ${JSON.stringify(join(project, 'wit'))}, buildDir: work };
    await buildTypeScriptComponent(context, 'actor.ts', 'hello');`;
  const started = performance.now();
  const run = spawnSync(NODE, ['--no-warnings', '--input-type=module', '-e', script], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`componentize failed: ${run.stderr}`);
  return performance.now() - started;
}

/**
 * componentize() run again in this process with the splice cache in place: what each rebuild of
 * wash dev cost before its steps were kept warm (wizer as a process, stubWasi, componentNew).
 */
async function warmComponentizeMs(project: string): Promise<number> {
  const { buildTypeScriptComponent } = await import('../actors/toolchains/typescript.ts');
  const { cacheSplicedBindings } = await import('../wash-cli/project/splice-cache.ts');
  await cacheSplicedBindings();
  const work = mkdtempSync(join(tmpdir(), 'dev-loop-warm-'));
  try {
    const context = {
      actorDir: join(project, 'src'),
      workDir: work,
      witDir: join(project, 'wit'),
      buildDir: work,
    };
    await buildTypeScriptComponent(context, 'actor.ts', 'hello');
    const started = performance.now();
    await buildTypeScriptComponent(context, 'actor.ts', 'hello');
    return performance.now() - started;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** jco's transpile of the built component in this process, warm (its second run): what `upd` paid. */
async function transpileMs(component: Uint8Array): Promise<number> {
  const { transpileBytes } = await import('@bytecodealliance/jco-transpile');
  const options = { name: 'actor', instantiation: { tag: 'async' as const } };
  await transpileBytes(component, options);
  const started = performance.now();
  await transpileBytes(component, options);
  return performance.now() - started;
}

interface EditTiming {
  total: number;
  build: number;
  update: number;
  steps: Map<string, number>;
}

async function editLoop(
  project: string,
  dev: ChildProcess,
  output: () => string,
  url: string,
): Promise<EditTiming[]> {
  const source = join(project, 'src', 'actor.ts');
  const original = readFileSync(source, 'utf8');
  const timings: EditTiming[] = [];
  for (let edit = 0; edit < EDITS; edit++) {
    const words = `Edit ${edit} from the bench`;
    const linesBefore = output().split('\n').length;
    const saved = performance.now();
    writeFileSync(source, original.replace(/const GREETING = '[^']*'/, `const GREETING = '${words}'`));
    let answered = 0;
    while (answered === 0) {
      const text = await fetch(url).then(
        (response) => response.text(),
        () => '', // between listeners: ask again
      );
      if (text.includes(words)) answered = performance.now();
      else if (dev.exitCode !== null) throw new Error(`wash dev exited:\n${output()}`);
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The status line and its steps line may come a moment after the answer.
    const newLines = () =>
      output()
        .split('\n')
        .slice(linesBefore - 1);
    await until(
      () =>
        newLines().some((line) => /rebuilt in/.test(line)) && newLines().some((line) => / ms, /.test(line)),
      'the status lines',
      10_000,
    );
    const status = newLines().find((line) => /rebuilt in/.test(line)) ?? '';
    const stepsLine = newLines().find((line) => /^\[[\d:]+\] {3}\S/.test(line) && / ms/.test(line)) ?? '';
    const [, build = '0', update = '0'] =
      /rebuilt in ([\d.]+) s, updated the actor in (\d+) ms/.exec(status) ?? [];
    const steps = new Map<string, number>();
    for (const [, name, ms] of stepsLine.matchAll(/([a-zA-Z+ -]+?) (\d+) ms/g))
      steps.set(name!.trim(), Number(ms));
    timings.push({ total: answered - saved, build: Number(build) * 1000, update: Number(update), steps });
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  writeFileSync(source, original);
  return timings;
}

function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
}

export async function runDevLoopBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dev-loop-bench-'));
  const project = join(dir, 'hello');
  let dev: ChildProcess | undefined;
  try {
    const created = spawnSync(NODE, [WASH, 'new', 'actor', project], { encoding: 'utf8' });
    if (created.status !== 0) throw new Error(`wash new failed: ${created.stderr}`);
    const httpPort = await freePort();
    const natsPort = await freePort();
    const toml = join(project, 'wasmcloud.toml');
    writeFileSync(toml, readFileSync(toml, 'utf8').replaceAll('8080', String(httpPort)));
    console.log(`\ndev loop: save → first new HTTP answer under wash dev (hello template, ${EDITS} edits)`);
    console.log(`load average before: ${load()}`);

    let text = '';
    dev = spawn(NODE, [WASH, 'dev', '--timings', '-p', String(natsPort), '-x', 'devloopbench'], {
      cwd: project,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    dev.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    dev.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    await until(() => text.includes('watching for changes') || dev?.exitCode !== null, 'wash dev', 180_000);
    if (!text.includes('watching for changes')) throw new Error(`wash dev did not start:\n${text}`);
    const firstBuild = /built in ([\d.]+) s/.exec(text)?.[1] ?? '?';
    const timings = await editLoop(project, dev, () => text, `http://127.0.0.1:${httpPort}/`);
    const loadDuring = load();

    const component = readFileSync(join(project, 'build', 'hello_s.wasm'));
    const cold = coldComponentize(project);
    const warm = await warmComponentizeMs(project);
    const transpile = await transpileMs(component);
    const before = warm + transpile;

    const totals = timings.map((t) => t.total);
    const rest = timings.map((t) => t.total - t.build - t.update);
    const names = [...new Set(timings.flatMap((t) => [...t.steps.keys()]))];
    const ms = (value: number) => `${value.toFixed(0)} ms`;
    table([
      ['part (p50 over the edits)', 'ms'],
      ['save → new answer', ms(p50(totals))],
      ['  build (wash dev, in process)', ms(p50(timings.map((t) => t.build)))],
      ...names.map((name) => [`    ${name}`, ms(p50(timings.flatMap((t) => t.steps.get(name) ?? [])))]),
      ['  upd until the host acks', ms(p50(timings.map((t) => t.update)))],
      ['  rest: watch settle, new instance, HTTP', ms(p50(rest))],
    ]);
    console.log(
      `each edit: ${totals.map((t) => (t / 1000).toFixed(2)).join(', ')} s; first build ${firstBuild} s; load average during: ${loadDuring}`,
    );
    console.log(
      `baselines (same run): componentize() in a fresh process ${ms(cold)}; componentize() again in a warm process (splice cached: each wash dev rebuild before) ${ms(warm)} + jco transpile on the host (each upd before) ${ms(transpile)} = ${ms(before)}`,
    );
    console.log(
      `save → new answer p50 ${(p50(totals) / 1000).toFixed(2)} s: ${(p50(totals) / before).toFixed(2)}× the old rebuild + transpile, ${(p50(totals) / cold).toFixed(2)}× a cold componentize; target ≤ ${TARGET_MS / 1000} s: ${p50(totals) <= TARGET_MS ? 'met' : 'NOT met'}`,
    );
  } finally {
    if (dev && dev.exitCode === null) {
      const exited = new Promise((resolve) => dev?.once('exit', resolve));
      dev.kill('SIGINT'); // stops the host and nats-server it started
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
