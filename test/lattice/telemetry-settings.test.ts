// The telemetry settings (lattice/telemetry/settings.ts) and the host's reading of them: the
// defaults users of wasmCloud expect, the standard OTEL_* variables, and a clear refusal naming the
// variable (and the flag, for the host's switches) for every bad value.

import { describe, expect, test } from 'vitest';
import { HostConfigError, resolveHostConfig } from '../../host/config.ts';
import {
  describeTelemetry,
  readTelemetrySettings,
  TelemetrySettingError,
} from '../../lattice/telemetry/settings.ts';

describe('readTelemetrySettings', () => {
  test('defaults: metrics recorded but pushed nowhere, traces off, parent-based sampling at ratio 1', () => {
    const settings = readTelemetrySettings({});
    expect(settings.metrics).toEqual({ enabled: true, otlpUrl: undefined, exportIntervalMs: 60_000 });
    expect(settings.traces).toMatchObject({
      enabled: false,
      otlpUrl: undefined,
      sampler: 'parentbased_traceidratio',
    });
    expect(settings.traces.sampleRatio).toBe(1);
    expect(describeTelemetry(settings, undefined)).toBe(
      'telemetry: metrics recorded (no /metrics listener, no OTLP endpoint); traces off (trace context still passed along)',
    );
  });

  test('OTEL_EXPORTER_OTLP_ENDPOINT turns on both exports, each signal at /v1/{signal}', () => {
    const settings = readTelemetrySettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=s%3Dcret, team=blue',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod',
    });
    expect(settings.metrics.otlpUrl).toBe('http://collector:4318/v1/metrics');
    expect(settings.traces).toMatchObject({
      enabled: true,
      otlpUrl: 'http://collector:4318/v1/traces',
      sampleRatio: 0.25,
    });
    expect(settings.otlpHeaders.traces).toEqual({ 'api-key': 's=cret', team: 'blue' });
    expect(settings.resourceAttributes).toEqual({ 'deployment.environment': 'prod' });
    expect(describeTelemetry(settings, 'http://127.0.0.1:4000/metrics')).toBe(
      'telemetry: metrics at http://127.0.0.1:4000/metrics and pushed to http://collector:4318/v1/metrics every 60000 ms; traces to http://collector:4318/v1/traces (parentbased_traceidratio, ratio 0.25)',
    );
  });

  test('a per-signal endpoint is used as given; the switches win over the endpoints', () => {
    const settings = readTelemetrySettings({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
      WASMCLOUD_METRICS_ENABLED: 'false',
    });
    expect(settings.traces.otlpUrl).toBe('https://traces.example/otlp');
    expect(settings.metrics.enabled).toBe(false);
    const off = readTelemetrySettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      WASMCLOUD_TRACES_ENABLED: 'no',
    });
    expect(off.traces.enabled).toBe(false);
    expect(readTelemetrySettings({ WASMCLOUD_OBSERVABILITY_ENABLED: 'true' }).traces).toMatchObject({
      enabled: true,
      otlpUrl: 'http://localhost:4318/v1/traces',
    });
    expect(readTelemetrySettings({ OTEL_SDK_DISABLED: 'true' }).metrics.enabled).toBe(false);
  });

  test.each([
    ['WASMCLOUD_METRICS_ENABLED', 'maybe', 'expected true or false'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'ftp://collector', 'expected an http:// or https:// URL'],
    ['OTEL_TRACES_SAMPLER', 'sometimes', 'expected always_on'],
    ['OTEL_TRACES_SAMPLER_ARG', '1.5', 'expected a ratio from 0 to 1'],
    ['OTEL_METRIC_EXPORT_INTERVAL', '10', 'must be at least 100'],
    ['OTEL_RESOURCE_ATTRIBUTES', 'novalue', 'expected key=value pairs'],
    ['WASMCLOUD_OBSERVABILITY_PROTOCOL', 'grpc', 'only http (OTLP/HTTP) is supported'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', 'only http/protobuf or http/json is supported'],
    ['OTEL_TRACES_EXPORTER', 'jaeger', 'expected otlp or none'],
  ])('%s=%s is refused, naming the variable', (name, value, why) => {
    let thrown: unknown;
    try {
      readTelemetrySettings({ [name]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TelemetrySettingError);
    expect((thrown as TelemetrySettingError).code).toBe('TELEMETRY_SETTING_INVALID');
    expect((thrown as TelemetrySettingError).message).toContain(`${name}=`);
    expect((thrown as TelemetrySettingError).message).toContain(why);
  });
});

describe('the host reads them', () => {
  test('WASMCLOUD_METRICS_PORT gives /metrics a listener of its own; the switches may come as flags', () => {
    const config = resolveHostConfig(
      { metricsPort: '9464', metricsHost: '0.0.0.0', tracesEnabled: 'true' },
      {},
      {},
    );
    expect(config.metricsListener).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(config.telemetry.traces.enabled).toBe(true);
    expect(resolveHostConfig({}, {}, {}).metricsListener).toBeUndefined();
  });

  test('a bad value stops start-up naming the variable and its flag', () => {
    expect(() => resolveHostConfig({ metricsEnabled: 'perhaps' }, {}, {})).toThrow(
      /WASMCLOUD_METRICS_ENABLED \(--enable-metrics\)=.*expected true or false/,
    );
    expect(() => resolveHostConfig({ metricsPort: 'ninety' }, {}, {})).toThrow(
      /WASMCLOUD_METRICS_PORT \(--metrics-port\): expected a port number/,
    );
    expect(() => resolveHostConfig({}, {}, { OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(HostConfigError);
  });
});
