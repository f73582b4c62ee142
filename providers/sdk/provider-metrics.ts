// A provider process's own metrics: the requests it answers, per operation, counted and timed with
// the OpenTelemetry SDK and pushed over OTLP/HTTP to where the host's OTEL_* variables say (the host
// passes them through, as the 2022 host did). Without an OTLP endpoint nothing is recorded here:
// the calling host's /metrics already counts every call to a provider, per provider and link
// (`wasmcloud_host_provider_requests_total`), so a provider has no listener of its own to scrape.
// An unreachable endpoint is a warning with back-off (lattice/telemetry/export-warnings.ts).

import type { Attributes, Counter, Histogram } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { Logger } from '../../lattice/log.ts';
import { DURATION_BOUNDS_NS } from '../../lattice/telemetry/duration-buckets.ts';
import { warnOnExportFailure } from '../../lattice/telemetry/export-warnings.ts';
import {
  readTelemetrySettings,
  TelemetrySettingError,
  type TelemetrySettings,
} from '../../lattice/telemetry/settings.ts';

export interface ProviderIdentity {
  providerKey: string;
  linkName: string;
  hostId: string;
  latticePrefix: string;
}

export class ProviderMetrics {
  readonly #meterProvider: MeterProvider;
  readonly #requests: Counter;
  readonly #errors: Counter;
  readonly #duration: Histogram;
  readonly #base: Attributes;

  private constructor(meterProvider: MeterProvider, identity: ProviderIdentity) {
    this.#meterProvider = meterProvider;
    const meter = meterProvider.getMeter('wasmcloud-provider');
    this.#requests = meter.createCounter('wasmcloud_provider.requests', {
      description: 'Invocations the provider answered',
    });
    this.#errors = meter.createCounter('wasmcloud_provider.request.errors', {
      description: 'Invocations the provider answered with an error',
    });
    this.#duration = meter.createHistogram('wasmcloud_provider.request.duration', {
      description: 'How long the provider took to answer an invocation',
      unit: 'ns',
      advice: { explicitBucketBoundaries: [...DURATION_BOUNDS_NS] },
    });
    this.#base = {
      'provider.id': identity.providerKey,
      'link.name': identity.linkName,
      host: identity.hostId,
      lattice: identity.latticePrefix,
    };
  }

  /** Metrics pushed over OTLP; undefined (nothing recorded) when no endpoint is set or metrics are off. */
  static start(
    settings: TelemetrySettings,
    identity: ProviderIdentity,
    log: Logger,
  ): ProviderMetrics | undefined {
    const url = settings.metrics.otlpUrl;
    if (!settings.metrics.enabled || url === undefined) return undefined;
    const reader = new PeriodicExportingMetricReader({
      exporter: warnOnExportFailure(
        new OTLPMetricExporter({ url, headers: settings.otlpHeaders.metrics }),
        'metrics',
        url,
        log,
      ),
      exportIntervalMillis: settings.metrics.exportIntervalMs,
      exportTimeoutMillis: Math.min(30_000, settings.metrics.exportIntervalMs),
    });
    const resource = resourceFromAttributes({
      'service.name': settings.serviceName ?? 'wasmcloud-provider',
      'provider.id': identity.providerKey,
      'host.id': identity.hostId,
      ...settings.resourceAttributes,
    });
    log.info(`telemetry: provider metrics pushed to ${url} every ${settings.metrics.exportIntervalMs} ms`);
    return new ProviderMetrics(new MeterProvider({ resource, readers: [reader] }), identity);
  }

  /** One invocation of `contractId` answered after `durationNs`, for `actorId`, successfully or not. */
  answered(
    call: { operation: string; actorId: string; contractId: string },
    durationNs: number,
    ok: boolean,
  ): void {
    const attributes = {
      ...this.#base,
      operation: call.operation,
      'component.id': call.actorId,
      'contract.id': call.contractId,
    };
    this.#requests.add(1, attributes);
    if (!ok) this.#errors.add(1, attributes);
    this.#duration.record(durationNs, attributes);
  }

  /** Pushes what is pending (the process is about to exit). */
  async shutdown(): Promise<void> {
    await this.#meterProvider.shutdown();
  }
}

/**
 * The metrics of this process from its environment (the OTEL_* variables the host passed); a bad
 * variable is a warning, not a provider that cannot start.
 */
export function startProviderMetrics(identity: ProviderIdentity, log: Logger): ProviderMetrics | undefined {
  try {
    return ProviderMetrics.start(readTelemetrySettings(process.env), identity, log);
  } catch (error) {
    if (!(error instanceof TelemetrySettingError)) throw error;
    log.warn(`telemetry: metrics off: ${error.message}`, { code: error.code });
    return undefined;
  }
}
