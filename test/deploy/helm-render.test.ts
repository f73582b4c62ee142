// The helm-render stand-in itself: the Helm 3 semantics the chart tests rely on, each checked on a
// small chart written for the test (values merging, include/define across files, tpl, toYaml,
// required, default, .Release/.Chart/.Capabilities, partials, NOTES.txt, output order, errors).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildHelmRenderer, HelmRenderError, type HelmRenderer } from '../helpers/helm-render/render.ts';

let renderer: HelmRenderer;
const chartsDir = mkdtempSync(join(tmpdir(), 'wasmcloud-ts-render-charts-'));

beforeAll(async () => {
  renderer = await buildHelmRenderer();
}, 120_000);

afterAll(() => {
  renderer?.remove();
  rmSync(chartsDir, { recursive: true, force: true });
});

let chartCount = 0;
/** Writes a chart (Chart.yaml added unless given) and returns its directory. */
function chart(files: Record<string, string>): string {
  const dir = join(chartsDir, `chart-${chartCount++}`);
  const all = { 'Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 1.2.3\nappVersion: "4.5"\n', ...files };
  for (const [name, content] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

async function renderError(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => new Error('expected the render to fail'),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HelmRenderError);
  return (error as Error).message;
}

describe('values', () => {
  test('-f files merge over values.yaml in order; maps merge, lists and scalars are replaced; null deletes', async () => {
    const dir = chart({
      'values.yaml': 'a: {x: 1, w: 2, list: [1, 2]}\nb: keep\nc: drop\n',
      'templates/x.yaml': 'kind: X\n',
    });
    const values = await renderer.values(dir, {
      values: ['a: {x: 10, list: [3]}\nc: null\n', 'a: {z: 30}\nb: last\n'],
    });
    expect(values).toEqual({ a: { x: 10, w: 2, z: 30, list: [3] }, b: 'last' });
  });

  test('numbers print as Helm prints them (YAML read through JSON), missing values print as nothing', async () => {
    const dir = chart({
      'values.yaml': 'port: 4222\nratio: 0.5\nflag: true\n',
      'templates/cm.yaml':
        'kind: ConfigMap\ndata:\n  port: "{{ .Values.port }}"\n  ratio: "{{ .Values.ratio }}"\n  flag: "{{ .Values.flag }}"\n  missing: "{{ .Values.nothing }}"\n',
    });
    const out = await renderer.template(dir);
    expect(out).toContain('port: "4222"');
    expect(out).toContain('ratio: "0.5"');
    expect(out).toContain('flag: "true"');
    expect(out).toContain('missing: ""');
  });
});

describe('templates', () => {
  test('define in a partial is included from another file; partials and NOTES.txt are not manifests', async () => {
    const dir = chart({
      'values.yaml': 'labels: {team: a, tier: web}\n',
      'templates/_helpers.tpl':
        '{{- define "demo.labels" -}}\napp: {{ .Chart.Name }}\n{{ toYaml .Values.labels }}\n{{- end }}\nkind: Ignored\n',
      'templates/svc.yaml':
        'apiVersion: v1\nkind: Service\nmetadata:\n  labels:\n    {{- include "demo.labels" . | nindent 4 }}\n',
      'templates/NOTES.txt': 'kind: NotAManifest\n',
    });
    const out = await renderer.template(dir);
    expect(out).toBe(
      '---\n# Source: demo/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  labels:\n    app: demo\n    team: a\n    tier: web\n',
    );
  });

  test('.Release, .Chart, .Capabilities and .Template', async () => {
    const dir = chart({
      'templates/cm.yaml': [
        'kind: ConfigMap',
        'data:',
        '  release: "{{ .Release.Name }}/{{ .Release.Namespace }}/{{ .Release.Service }}/{{ .Release.IsInstall }}"',
        '  chart: "{{ .Chart.Name }}-{{ .Chart.Version }}-{{ .Chart.AppVersion }}"',
        '  kube: "{{ .Capabilities.KubeVersion.Version }} {{ .Capabilities.KubeVersion.Minor }} {{ .Capabilities.APIVersions.Has "apps/v1" }} {{ .Capabilities.APIVersions.Has "nope/v9" }}"',
        '  template: "{{ .Template.Name }} {{ .Template.BasePath }}"',
        '',
      ].join('\n'),
    });
    const out = await renderer.template(dir, { name: 'web', namespace: 'edge', kubeVersion: 'v1.29.4' });
    expect(out).toContain('release: "web/edge/Helm/true"');
    expect(out).toContain('chart: "demo-1.2.3-4.5"');
    expect(out).toContain('kube: "v1.29.4 29 true false"');
    expect(out).toContain('template: "demo/templates/cm.yaml demo/templates"');
  });

  test('tpl renders a value as a template; default, toYaml, toJson and sprig functions behave as in Helm', async () => {
    const dir = chart({
      'values.yaml':
        'greeting: "hello {{ .Release.Name }}"\nempty: ""\nzero: 0\nres: {limits: {cpu: 100m}}\nenv: [{name: A, value: "1"}]\n',
      'templates/cm.yaml': [
        'kind: ConfigMap',
        'data:',
        '  tpl: {{ tpl .Values.greeting . | quote }}',
        '  emptyDefault: {{ .Values.empty | default "fallback" | quote }}',
        '  zeroDefault: {{ .Values.zero | default 7 | quote }}',
        '  json: {{ toJson .Values.env | quote }}',
        '  upper: {{ upper "abc" | b64enc | quote }}',
        '  res: |',
        '    {{- toYaml .Values.res | nindent 4 }}',
        '',
      ].join('\n'),
    });
    const out = await renderer.template(dir, { name: 'web' });
    expect(out).toContain('tpl: "hello web"');
    expect(out).toContain('emptyDefault: "fallback"');
    expect(out).toContain('zeroDefault: "7"');
    expect(out).toContain('json: "[{\\"name\\":\\"A\\",\\"value\\":\\"1\\"}]"');
    expect(out).toContain(`upper: "${Buffer.from('ABC').toString('base64')}"`);
    expect(out).toContain('res: |\n    limits:\n      cpu: 100m\n');
  });

  test('env and expandenv are not available, as in Helm', async () => {
    const dir = chart({ 'templates/cm.yaml': 'kind: X\nhome: {{ env "HOME" }}\n' });
    expect(await renderError(renderer.template(dir))).toMatch(/function "env" not defined/);
  });

  test('manifests come out in install order (ServiceAccount, Secret, ConfigMap, Role, Service, Deployment)', async () => {
    const dir = chart({
      'templates/a.yaml': 'kind: Deployment\n---\nkind: Service\n',
      'templates/b.yaml': 'kind: Role\n---\n# only a comment\n---\nkind: ConfigMap\n',
      'templates/c.yaml': 'kind: Secret\n---\nkind: ServiceAccount\n',
      'templates/d.yaml': '{{- if false }}\nkind: Nothing\n{{- end }}\n',
    });
    const out = await renderer.template(dir);
    const kinds = [...out.matchAll(/^kind: (\w+)$/gm)].map((match) => match[1]);
    expect(kinds).toEqual(['ServiceAccount', 'Secret', 'ConfigMap', 'Role', 'Service', 'Deployment']);
    expect(out).not.toContain('Nothing');
  });

  test('NOTES.txt is rendered on its own', async () => {
    const dir = chart({
      'templates/_helpers.tpl': '{{- define "demo.fullname" }}{{ .Release.Name }}-demo{{ end }}',
      'templates/NOTES.txt': 'kubectl port-forward deployment/{{ include "demo.fullname" . }} 4000\n',
    });
    expect(await renderer.notes(dir, { name: 'web' })).toBe(
      'kubectl port-forward deployment/web-demo 4000\n',
    );
  });
});

describe('errors', () => {
  test('a missing required value names the template, the line and the message', async () => {
    const dir = chart({
      'values.yaml': 'nats: {url: ""}\n',
      'templates/cm.yaml':
        'kind: ConfigMap\ndata:\n  url: {{ required "nats.url is required" .Values.nats.url }}\n',
    });
    const message = await renderError(renderer.template(dir));
    expect(message).toBe('Error: execution error at (demo/templates/cm.yaml:3:10): nats.url is required');
    expect(await renderer.template(dir, { values: ['nats: {url: "nats://x:4222"}\n'] })).toContain(
      'url: nats://x:4222',
    );
  });

  test('required inside an include and fail report their message too', async () => {
    const dir = chart({
      'templates/_helpers.tpl':
        '{{- define "demo.need" }}{{ required "seed is required" .Values.seed }}{{ end }}',
      'templates/a.yaml': 'kind: A\nx: {{ include "demo.need" . }}\n',
    });
    expect(await renderError(renderer.template(dir))).toMatch(
      /^Error: execution error at \(demo\/templates\/_helpers\.tpl:1:\d+\): seed is required$/,
    );
    const failing = chart({ 'templates/a.yaml': '{{ fail "replicas would not share a lattice" }}' });
    expect(await renderError(renderer.template(failing))).toMatch(
      /execution error at \(demo\/templates\/a\.yaml:1:3\): replicas would not share a lattice$/,
    );
  });

  test('a rendered document that is not YAML names its file', async () => {
    const dir = chart({ 'templates/bad.yaml': 'kind: X\nmetadata: {name: [\n' });
    expect(await renderError(renderer.template(dir))).toMatch(
      /^Error: YAML parse error on demo\/templates\/bad\.yaml: /,
    );
  });

  test('a template that does not parse, an invalid Chart.yaml and an unmet kubeVersion are refused', async () => {
    const unparsable = chart({ 'templates/x.yaml': '{{ if }}\n' });
    expect(await renderError(renderer.template(unparsable))).toMatch(/demo\/templates\/x\.yaml:1/);
    const badVersion = chart({ 'Chart.yaml': 'apiVersion: v2\nname: demo\nversion: one\n' });
    expect(await renderError(renderer.template(badVersion))).toMatch(
      /version "one" is not a SemVer 2 version/,
    );
    const oldKube = chart({
      'Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 1.0.0\nkubeVersion: ">=1.29.0-0"\n',
      'templates/x.yaml': 'kind: X\n',
    });
    expect(await renderError(renderer.template(oldKube, { kubeVersion: 'v1.27.0' }))).toMatch(
      /chart requires kubeVersion: >=1\.29\.0-0 which is incompatible with Kubernetes v1\.27\.0/,
    );
    const badValues = chart({ 'templates/x.yaml': 'kind: X\n' });
    expect(await renderError(renderer.template(badValues, { values: ['a: [\n'] }))).toMatch(
      /failed to parse/,
    );
  });
});
