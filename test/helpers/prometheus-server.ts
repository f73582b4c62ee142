// A real Prometheus server (Debian's `prometheus`) for tests: scrapes the given targets every
// second, keeps its data in a temporary folder, listens on a free loopback port, and answers
// instant queries through its HTTP API. Killed and its folder removed by `stop` (or when the test
// process exits).

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './eventually.ts';
import { freePort } from './nats-server.ts';

export interface PrometheusServer {
  url: string;
  /** The samples of an instant query: each series' labels and value. */
  query(promql: string): Promise<{ labels: Record<string, string>; value: number }[]>;
  /** Its output so far (shown when a test fails). */
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

interface QueryResponse {
  status: string;
  error?: string;
  data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

/** Starts Prometheus scraping `targets` (`host:port`) at `/metrics` every second. */
export async function startPrometheus(targets: string[]): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: wasmcloud-hosts',
      '    static_configs:',
      `      - targets: [${targets.map((target) => `'${target}'`).join(', ')}]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    running.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await eventually(
      () =>
        fetch(`${url}/-/ready`).then(
          (response) => response.ok,
          () => false,
        ),
      `prometheus ready on ${url}\n${output}`,
      30_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    async query(promql) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as QueryResponse;
      if (body.status !== 'success') throw new Error(`prometheus query ${promql}: ${body.error}`);
      return (body.data?.result ?? []).map((series) => ({
        labels: series.metric,
        value: Number(series.value[1]),
      }));
    },
    output: () => output,
    stop,
  };
}
