// Builds the helm-render stand-in (Go, GOPATH mode, offline, from Debian's golang-go, sprig and
// sigs.k8s.io/yaml) into a temporary directory and runs it. No helm binary can run here; the
// stand-in renders a chart the way `helm template` does (see main.go for what it covers). Like
// Helm, it first checks the merged values against the chart's values.schema.json, here with Ajv
// (draft-07, the draft Helm supports), since Debian packages no JSON Schema library for Go.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';

const run = promisify(execFile);
const SOURCE_DIR = import.meta.dirname;
const DEBIAN_GOPATH = '/usr/share/gocode';

export class HelmRenderError extends Error {
  override name = 'HelmRenderError';
}

export interface RenderOptions {
  /** `.Release.Name` (default `release-name`). */
  name?: string;
  namespace?: string;
  /** `.Capabilities.KubeVersion` (default v1.30.0). */
  kubeVersion?: string;
  /** Values files' contents, laid over values.yaml in order (as `-f a.yaml -f b.yaml`). */
  values?: string[];
}

export interface HelmRenderer {
  /** The manifests `helm template` would print: multi-document YAML. */
  template(chartDir: string, options?: RenderOptions): Promise<string>;
  /** The rendered NOTES.txt. */
  notes(chartDir: string, options?: RenderOptions): Promise<string>;
  /** The merged values, as the templates see them. */
  values(chartDir: string, options?: RenderOptions): Promise<unknown>;
  /** Removes the binary, its Go cache and the values files written. */
  remove(): void;
}

/** Builds the renderer once; call `remove()` when done (afterAll). */
export async function buildHelmRenderer(): Promise<HelmRenderer> {
  const workDir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-helm-render-'));
  const binary = join(workDir, 'helm-render');
  try {
    await run('go', ['build', '-o', binary, '.'], {
      cwd: SOURCE_DIR,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: workDir,
        GO111MODULE: 'off',
        GOPATH: `${join(workDir, 'gopath')}:${DEBIAN_GOPATH}`,
        GOFLAGS: '',
        GOCACHE: join(workDir, 'cache'),
        GOPROXY: 'off',
      },
    });
  } catch (error) {
    rmSync(workDir, { recursive: true, force: true });
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new HelmRenderError(
      `could not build the helm-render stand-in (needs Debian golang-go, golang-github-masterminds-sprig-dev, golang-k8s-sigs-yaml-dev): ${stderr.trim()}`,
    );
  }

  let valuesFiles = 0;
  const invoke = async (chartDir: string, options: RenderOptions, extra: string[]): Promise<string> => {
    const args = [
      '--name',
      options.name ?? 'release-name',
      '--namespace',
      options.namespace ?? 'default',
      '--kube-version',
      options.kubeVersion ?? 'v1.30.0',
      ...extra,
    ];
    for (const content of options.values ?? []) {
      const file = join(workDir, 'values', `${valuesFiles++}.yaml`);
      mkdirSync(join(workDir, 'values'), { recursive: true });
      writeFileSync(file, content);
      args.push('-f', file);
    }
    args.push(chartDir);
    try {
      const { stdout } = await run(binary, args, { maxBuffer: 16 * 1024 * 1024 });
      return stdout;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      throw new HelmRenderError(stderr || String(error));
    }
  };

  const mergedValues = async (chartDir: string, options: RenderOptions): Promise<unknown> =>
    JSON.parse(await invoke(chartDir, options, ['--print-values'])) as unknown;
  const checked = async (chartDir: string, options: RenderOptions, extra: string[]): Promise<string> => {
    await checkSchema(chartDir, await mergedValues(chartDir, options));
    return invoke(chartDir, options, extra);
  };

  return {
    template: (chartDir, options = {}) => checked(chartDir, options, []),
    notes: (chartDir, options = {}) => checked(chartDir, options, ['--notes']),
    values: (chartDir, options = {}) => mergedValues(chartDir, options),
    remove: () => rmSync(workDir, { recursive: true, force: true }),
  };
}

/** Helm's check of the merged values against values.schema.json, with Helm's wording. */
async function checkSchema(chartDir: string, values: unknown): Promise<void> {
  const schemaFile = join(chartDir, 'values.schema.json');
  if (!existsSync(schemaFile)) return;
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as object;
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  if (validate(values)) return;
  const chartName =
    /^name:\s*(\S+)/m.exec(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'))?.[1] ?? chartDir;
  const problems = (validate.errors ?? []).map((error) => {
    const at = error.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(root)';
    const extra = error.params as { additionalProperty?: string; allowedValues?: unknown[] };
    const detail = extra.additionalProperty
      ? `additional property ${extra.additionalProperty} is not allowed`
      : extra.allowedValues
        ? `${error.message}: ${extra.allowedValues.map((value) => JSON.stringify(value)).join(', ')}`
        : error.message;
    return `- ${at}: ${detail}`;
  });
  throw new HelmRenderError(
    `Error: values don't meet the specifications of the schema(s) in the following chart(s): ${chartName}: ${problems.join(' ')}`,
  );
}
