// What a process of the lattice (host, provider, controller) exports as OpenTelemetry, read from
// the variables users of wasmCloud already set (observability.md, "Settings"): the 1.x switches
// WASMCLOUD_OBSERVABILITY_ENABLED / WASMCLOUD_TRACES_ENABLED / WASMCLOUD_METRICS_ENABLED and the
// standard OTEL_* variables. Every value is validated; a bad one is a TELEMETRY_SETTING_INVALID
// naming the variable, as every other setting of the host is.
//
// Defaults: metrics are collected (the host serves them at /metrics; cheap) and pushed over OTLP only
// when an endpoint is set; traces are recorded only when switched on or when an OTLP endpoint for
// them is set (as wasmCloud 2.x turns OTel on when any OTEL_* variable is set). Trace context is
// passed along either way, so a trace started outside survives a hop through a host exporting
// nothing.

import { z } from 'zod';
import { LatticeError } from '../errors.ts';
import { describeIssues } from '../json-message.ts';

/** A telemetry variable whose value is unusable; the message names it. */
export class TelemetrySettingError extends LatticeError<'TELEMETRY_SETTING_INVALID'> {}

/** The sampler of OTEL_TRACES_SAMPLER, narrowed to what a lattice makes sense of. */
export type TraceSampler =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

export interface TelemetrySettings {
  metrics: {
    /** Instruments record (for /metrics and OTLP). */
    enabled: boolean;
    /** OTLP/HTTP URL metrics are pushed to (…/v1/metrics), or none. */
    otlpUrl: string | undefined;
    /** How often they are pushed (OTEL_METRIC_EXPORT_INTERVAL), ms. */
    exportIntervalMs: number;
  };
  traces: {
    enabled: boolean;
    /** OTLP/HTTP URL spans are sent to (…/v1/traces); set whenever traces are enabled. */
    otlpUrl: string | undefined;
    sampler: TraceSampler;
    /** The ratio of new traces kept by the ratio samplers, 0–1 (OTEL_TRACES_SAMPLER_ARG). */
    sampleRatio: number;
    /** How long finished spans wait to be sent in one batch (OTEL_BSP_SCHEDULE_DELAY), ms. */
    batchDelayMs: number;
  };
  /** OTEL_SERVICE_NAME, when set (each process has its own default). */
  serviceName: string | undefined;
  /** OTEL_RESOURCE_ATTRIBUTES, parsed. */
  resourceAttributes: Record<string, string>;
  /** OTEL_EXPORTER_OTLP_HEADERS (and the per-signal ones), parsed. */
  otlpHeaders: { metrics: Record<string, string>; traces: Record<string, string> };
}

/** Every variable read here (the host passes these through to provider processes). */
export const TELEMETRY_VARIABLES = [
  'WASMCLOUD_OBSERVABILITY_ENABLED',
  'WASMCLOUD_TRACES_ENABLED',
  'WASMCLOUD_METRICS_ENABLED',
  'WASMCLOUD_OBSERVABILITY_PROTOCOL',
  'OTEL_SDK_DISABLED',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_METRIC_EXPORT_INTERVAL',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'OTEL_EXPORTER_OTLP_METRICS_HEADERS',
] as const;

export type TelemetryEnvironment = Readonly<Record<string, string | undefined>>;

/** The OTLP/HTTP port collectors listen on (the specification's default endpoint). */
const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';
const DEFAULT_METRIC_EXPORT_INTERVAL_MS = 60_000;
/** The specification's default OTEL_BSP_SCHEDULE_DELAY. */
const DEFAULT_BATCH_DELAY_MS = 5_000;

const booleanText = z
  .string()
  .transform((text) => text.trim().toLowerCase())
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], 'expected true or false'))
  .transform((text) => text === 'true' || text === '1' || text === 'yes');

const urlText = z
  .string()
  .trim()
  .pipe(z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }));

const samplerText = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(
    z.enum(
      [
        'always_on',
        'always_off',
        'traceidratio',
        'parentbased_always_on',
        'parentbased_always_off',
        'parentbased_traceidratio',
      ],
      'expected always_on, always_off, traceidratio or parentbased_always_on|always_off|traceidratio',
    ),
  );

const ratioText = z
  .string()
  .trim()
  .regex(/^(0|1|0?\.\d+|1\.0*)$/, 'expected a ratio from 0 to 1 (e.g. 0.25)')
  .transform(Number);

/** A whole number of milliseconds from `min` to `max`. */
function millisecondsText(min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, 'expected a whole number of milliseconds')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

const intervalText = millisecondsText(100, 3_600_000);
const batchDelayText = millisecondsText(1, 600_000);

/** `key=value,key=value` (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS), values URL-decoded. */
const keyValueListText = z.string().transform((text, context) => {
  const pairs: Record<string, string> = {};
  for (const item of text.split(',')) {
    if (item.trim() === '') continue;
    const equals = item.indexOf('=');
    const key = equals > 0 ? item.slice(0, equals).trim() : '';
    if (key === '') {
      context.addIssue({
        code: 'custom',
        message: `expected key=value pairs separated by commas, got "${item}"`,
      });
      return z.NEVER;
    }
    try {
      pairs[key] = decodeURIComponent(item.slice(equals + 1).trim());
    } catch {
      context.addIssue({ code: 'custom', message: `the value of ${key} is not valid percent-encoding` });
      return z.NEVER;
    }
  }
  return pairs;
});

function read<Output>(
  env: TelemetryEnvironment,
  name: string,
  schema: z.ZodType<Output, string>,
): Output | undefined {
  const text = env[name];
  if (text === undefined || text.trim() === '') return undefined;
  const parsed = schema.safeParse(text);
  if (parsed.success) return parsed.data;
  throw new TelemetrySettingError(
    'TELEMETRY_SETTING_INVALID',
    `${name}=${JSON.stringify(text.slice(0, 200))}: ${describeIssues(parsed.error.issues)}`,
  );
}

/** The per-signal URL: its own variable as given, else the general endpoint + /v1/{signal}. */
function signalUrl(env: TelemetryEnvironment, signal: 'traces' | 'metrics'): string | undefined {
  const own = read(env, `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`, urlText);
  if (own !== undefined) return own;
  const general = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', urlText);
  return general === undefined ? undefined : `${general.replace(/\/+$/, '')}/v1/${signal}`;
}

function refuse(name: string, value: string, why: string): never {
  throw new TelemetrySettingError('TELEMETRY_SETTING_INVALID', `${name}=${JSON.stringify(value)}: ${why}`);
}

/** Only OTLP over HTTP is exported (the gRPC exporter is not shipped): say so rather than ignore it. */
function checkProtocols(env: TelemetryEnvironment): void {
  const protocol = env.WASMCLOUD_OBSERVABILITY_PROTOCOL?.trim().toLowerCase();
  if (protocol !== undefined && protocol !== '' && protocol !== 'http')
    refuse('WASMCLOUD_OBSERVABILITY_PROTOCOL', protocol, 'only http (OTLP/HTTP) is supported');
  const otlpProtocol = env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim().toLowerCase();
  if (
    otlpProtocol !== undefined &&
    otlpProtocol !== '' &&
    otlpProtocol !== 'http/protobuf' &&
    otlpProtocol !== 'http/json'
  )
    refuse('OTEL_EXPORTER_OTLP_PROTOCOL', otlpProtocol, 'only http/protobuf or http/json is supported');
  for (const name of ['OTEL_TRACES_EXPORTER', 'OTEL_METRICS_EXPORTER'] as const) {
    const exporter = env[name]?.trim().toLowerCase();
    if (exporter !== undefined && exporter !== '' && !['otlp', 'none', 'prometheus'].includes(exporter))
      refuse(name, exporter, 'expected otlp or none');
  }
}

/** Reads and validates every telemetry variable; throws TelemetrySettingError naming a bad one. */
export function readTelemetrySettings(env: TelemetryEnvironment): TelemetrySettings {
  checkProtocols(env);
  const sdkDisabled = read(env, 'OTEL_SDK_DISABLED', booleanText) === true;
  const everything = read(env, 'WASMCLOUD_OBSERVABILITY_ENABLED', booleanText);
  const metricsSwitch = read(env, 'WASMCLOUD_METRICS_ENABLED', booleanText) ?? everything;
  const tracesSwitch = read(env, 'WASMCLOUD_TRACES_ENABLED', booleanText) ?? everything;
  const metricsExporterOff = env.OTEL_METRICS_EXPORTER?.trim().toLowerCase() === 'none';
  const tracesExporterOff = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === 'none';

  const metricsUrl = signalUrl(env, 'metrics');
  const tracesUrl = signalUrl(env, 'traces');
  const metricsEnabled = !sdkDisabled && metricsSwitch !== false;
  const tracesEnabled =
    !sdkDisabled && !tracesExporterOff && (tracesSwitch ?? tracesUrl !== undefined) !== false;

  const sampler = read(env, 'OTEL_TRACES_SAMPLER', samplerText) ?? 'parentbased_traceidratio';
  const sampleRatio = read(env, 'OTEL_TRACES_SAMPLER_ARG', ratioText) ?? 1;
  const generalHeaders = read(env, 'OTEL_EXPORTER_OTLP_HEADERS', keyValueListText) ?? {};
  return {
    metrics: {
      enabled: metricsEnabled,
      otlpUrl:
        metricsEnabled && !metricsExporterOff
          ? (metricsUrl ?? (metricsSwitch === true ? `${DEFAULT_OTLP_ENDPOINT}/v1/metrics` : undefined))
          : undefined,
      exportIntervalMs:
        read(env, 'OTEL_METRIC_EXPORT_INTERVAL', intervalText) ?? DEFAULT_METRIC_EXPORT_INTERVAL_MS,
    },
    traces: {
      enabled: tracesEnabled,
      otlpUrl: tracesEnabled ? (tracesUrl ?? `${DEFAULT_OTLP_ENDPOINT}/v1/traces`) : undefined,
      sampler,
      sampleRatio,
      batchDelayMs: read(env, 'OTEL_BSP_SCHEDULE_DELAY', batchDelayText) ?? DEFAULT_BATCH_DELAY_MS,
    },
    serviceName: env.OTEL_SERVICE_NAME?.trim() || undefined,
    resourceAttributes: read(env, 'OTEL_RESOURCE_ATTRIBUTES', keyValueListText) ?? {},
    otlpHeaders: {
      metrics: { ...generalHeaders, ...read(env, 'OTEL_EXPORTER_OTLP_METRICS_HEADERS', keyValueListText) },
      traces: { ...generalHeaders, ...read(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', keyValueListText) },
    },
  };
}

/** The one start-up line saying what is exported and where (observability.md: never silent). */
export function describeTelemetry(settings: TelemetrySettings, scrapeUrl: string | undefined): string {
  const metrics = !settings.metrics.enabled
    ? 'metrics off'
    : `metrics ${
        [
          scrapeUrl === undefined ? undefined : `at ${scrapeUrl}`,
          settings.metrics.otlpUrl === undefined
            ? undefined
            : `pushed to ${settings.metrics.otlpUrl} every ${settings.metrics.exportIntervalMs} ms`,
        ]
          .filter((part) => part !== undefined)
          .join(' and ') || 'recorded (no /metrics listener, no OTLP endpoint)'
      }`;
  const traces = settings.traces.enabled
    ? `traces to ${settings.traces.otlpUrl} (${settings.traces.sampler}, ratio ${settings.traces.sampleRatio})`
    : 'traces off (trace context still passed along)';
  return `telemetry: ${metrics}; ${traces}`;
}
