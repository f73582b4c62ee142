// The host's metrics (observability.md, "Metrics"), in the names dashboards and alerts already use:
// the 0.8x counter `wasmcloud_host_actor_invocations_total` with its labels, and the 1.x
// `wasmcloud_host.*` instruments. Calls are counted in the workers (invocation-metrics.ts) and enter
// the SDK through a MetricProducer when a reader collects; what the main thread knows (instances,
// queues, providers, NATS, the process) is read by observable instruments at the same moment. The
// SDK's exporters write them out: the Prometheus exporter for /metrics, and an OTLP/HTTP reader when
// an endpoint is set. This module loads the SDK (~30 MB): metrics-endpoint.ts loads it only when a
// scrape comes or an OTLP endpoint is set.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { arch, hostname, type as osType, platform, totalmem } from 'node:os';
import { type Attributes, ValueType } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type CollectionResult,
  DataPointType,
  type HistogramMetricData,
  MeterProvider,
  type MetricProducer,
  type MetricReader,
  PeriodicExportingMetricReader,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import type { Logger } from '../../lattice/log.ts';
import { warnOnExportFailure } from '../../lattice/telemetry/export-warnings.ts';
import type { TelemetrySettings } from '../../lattice/telemetry/settings.ts';
import { DURATION_BOUNDS_NS, type InvocationMetricsSnapshot, type Timings } from './invocation-metrics.ts';

/** The 1.x meter's scope. */
const SCOPE = { name: 'wasmcloud-host' } as const;

/** One actor as the metrics show it. */
export interface ActorGauges {
  id: string;
  /** Its image reference (`actor_ref`, `component.ref`); the key when it has none. */
  ref: string;
  instances: number;
  inFlight: number;
  queued: number;
  maxConcurrency: number;
}

export interface ProviderGauges {
  id: string;
  linkName: string;
  contractId: string;
  healthy: boolean;
  restarts: number;
}

export interface NatsGauges {
  connection: string;
  connected: boolean;
  disconnects: number;
}

/** What the host tells its metrics, read at each collection. */
export interface HostMetricsSources {
  hostId: string;
  friendlyName: string;
  latticePrefix: string;
  version: string;
  invocations(): Promise<InvocationMetricsSnapshot>;
  actors(): ActorGauges[];
  providers(): ProviderGauges[];
  nats(): NatsGauges[];
}

export interface HostMetricsOptions {
  settings: TelemetrySettings;
  sources: HostMetricsSources;
  log: Logger;
}

function hostResource(sources: HostMetricsSources, settings: TelemetrySettings): Resource {
  return resourceFromAttributes({
    'service.name': settings.serviceName ?? 'wasmcloud-host',
    'service.version': sources.version,
    'host.id': sources.hostId,
    'host.version': sources.version,
    'host.arch': arch(),
    'host.os': platform(),
    'host.osfamily': osType(),
    'host.friendly_name': sources.friendlyName,
    'host.hostname': hostname(),
    ...settings.resourceAttributes,
  });
}

function histogramPoint(timings: Timings) {
  return {
    buckets: { boundaries: [...DURATION_BOUNDS_NS], counts: timings.buckets },
    count: timings.calls,
    sum: timings.sumNs,
  };
}

/** The workers' cumulative counts as OTel data points (what the SDK's own instruments would give). */
export function invocationMetricData(
  snapshot: InvocationMetricsSnapshot,
  base: { host: string; lattice: string },
  refOf: (actorId: string) => string,
  startTime: [number, number],
): (SumMetricData | HistogramMetricData)[] {
  const endTime = millisToHrTime(Date.now());
  const point = <Value>(attributes: Attributes, value: Value) => ({ startTime, endTime, attributes, value });
  const sum = (name: string, description: string, points: SumMetricData['dataPoints']): SumMetricData => ({
    descriptor: { name, description, unit: '', valueType: ValueType.INT },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.SUM,
    isMonotonic: true,
    dataPoints: points,
  });
  const histogram = (
    name: string,
    description: string,
    points: HistogramMetricData['dataPoints'],
  ): HistogramMetricData => ({
    descriptor: { name, description, unit: 'ns', valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.HISTOGRAM,
    dataPoints: points,
  });
  const component = (actorId: string, operation: string): Attributes => ({
    'component.ref': refOf(actorId),
    'component.id': actorId,
    lattice: base.lattice,
    host: base.host,
    operation,
  });
  const served = snapshot.served;
  const providerCall = (series: InvocationMetricsSnapshot['providerCalls'][number]): Attributes => ({
    'component.ref': refOf(series.actorId),
    'component.id': series.actorId,
    'provider.id': series.providerId,
    'contract.id': series.contractId,
    'link.name': series.linkName,
    lattice: base.lattice,
    host: base.host,
  });
  return [
    sum(
      'wasmcloud_host_actor_invocations',
      'Calls an actor served, by caller (the 0.8x counter)',
      snapshot.callers.map((series) =>
        point(
          {
            actor_ref: refOf(series.actorId),
            actor_id: series.actorId,
            caller_provider_contract_id: series.callerContractId,
            caller_provider_id: series.callerContractId === '' ? '' : series.callerId,
            caller_provider_link_name: series.callerContractId === '' ? '' : series.callerLinkName,
            host: base.host,
            lattice: base.lattice,
            operation: series.operation,
          },
          series.calls,
        ),
      ),
    ),
    sum(
      'wasmcloud_host.component.invocations',
      'Calls a component (actor) served',
      served.map((series) => point(component(series.actorId, series.operation), series.calls)),
    ),
    sum(
      'wasmcloud_host.component.invocation.errors',
      'Calls a component (actor) served that failed',
      served.map((series) => point(component(series.actorId, series.operation), series.errors)),
    ),
    histogram(
      'wasmcloud_host.handle_rpc_message.duration',
      'How long a component (actor) took to answer a call',
      served.map((series) => point(component(series.actorId, series.operation), histogramPoint(series))),
    ),
    sum(
      'wasmcloud_host.provider.requests',
      'Calls actors of this host made to a provider',
      snapshot.providerCalls.map((series) => point(providerCall(series), series.calls)),
    ),
    sum(
      'wasmcloud_host.provider.request.errors',
      'Calls actors of this host made to a provider that failed',
      snapshot.providerCalls.map((series) => point(providerCall(series), series.errors)),
    ),
    histogram(
      'wasmcloud_host.provider.request.duration',
      "How long a provider took to answer an actor's call",
      snapshot.providerCalls.map((series) => point(providerCall(series), histogramPoint(series))),
    ),
  ];
}

/** The process's CPU use since the last reading, in percent of one core. */
function cpuMeter(): () => number {
  let last = { usage: process.cpuUsage(), at: performance.now() };
  return () => {
    const usage = process.cpuUsage(last.usage);
    const at = performance.now();
    const elapsedUs = (at - last.at) * 1_000;
    last = { usage: process.cpuUsage(), at };
    return elapsedUs <= 0 ? 0 : ((usage.user + usage.system) / elapsedUs) * 100;
  };
}

export class HostMetrics {
  readonly #provider: MeterProvider;
  readonly #prometheus: PrometheusExporter;
  private constructor(provider: MeterProvider, prometheus: PrometheusExporter) {
    this.#provider = provider;
    this.#prometheus = prometheus;
  }

  /** Starts collecting: the OTLP push (when an endpoint is set) and the reader /metrics answers from. */
  static start(options: HostMetricsOptions): HostMetrics {
    const { settings, sources, log } = options;
    const startTime = millisToHrTime(Date.now());
    const producer: MetricProducer = {
      async collect(): Promise<CollectionResult> {
        const snapshot = await sources.invocations();
        const refs = new Map(sources.actors().map((actor) => [actor.id, actor.ref]));
        return {
          resourceMetrics: {
            resource: hostResource(sources, settings),
            scopeMetrics: [
              {
                scope: SCOPE,
                metrics: invocationMetricData(
                  snapshot,
                  { host: sources.hostId, lattice: sources.latticePrefix },
                  (actorId) => refs.get(actorId) ?? actorId,
                  startTime,
                ),
              },
            ],
          },
          errors: [],
        };
      },
    };
    const prometheus = new PrometheusExporter({ preventServerStart: true, metricProducers: [producer] });
    const readers: MetricReader[] = [prometheus];
    if (settings.metrics.otlpUrl !== undefined) {
      readers.push(
        new PeriodicExportingMetricReader({
          exporter: warnOnExportFailure(
            new OTLPMetricExporter({ url: settings.metrics.otlpUrl, headers: settings.otlpHeaders.metrics }),
            'metrics',
            settings.metrics.otlpUrl,
            log,
          ),
          exportIntervalMillis: settings.metrics.exportIntervalMs,
          exportTimeoutMillis: Math.min(30_000, settings.metrics.exportIntervalMs),
          metricProducers: [producer],
        }),
      );
    }
    const provider = new MeterProvider({ resource: hostResource(sources, settings), readers });
    observeHost(provider, sources);
    return new HostMetrics(provider, prometheus);
  }

  /** Answers a scrape (GET /metrics) in Prometheus text. */
  serve(request: unknown, response: unknown): void {
    this.#prometheus.getMetricsRequestHandler(request as IncomingMessage, response as ServerResponse);
  }

  /** Pushes what is pending over OTLP. */
  async shutdown(): Promise<void> {
    await this.#provider.shutdown();
  }
}

/** What the main thread knows, read by the SDK's observable instruments at each collection. */
function observeHost(provider: MeterProvider, sources: HostMetricsSources): void {
  const meter = provider.getMeter(SCOPE.name);
  const base = () => ({ host: sources.hostId, lattice: sources.latticePrefix });
  const actorAttributes = (actor: ActorGauges) => ({
    'component.ref': actor.ref,
    'component.id': actor.id,
    ...base(),
  });
  meter
    .createObservableUpDownCounter('wasmcloud_host.component.active_instances', {
      description: 'Calls a component (actor) is running now, one instance each',
    })
    .addCallback((result) => {
      for (const actor of sources.actors()) result.observe(actor.inFlight, actorAttributes(actor));
    });
  meter
    .createObservableGauge('wasmcloud_host.component.max_instances', {
      description: 'Calls a component (actor) may run at once on this host',
    })
    .addCallback((result) => {
      for (const actor of sources.actors()) result.observe(actor.maxConcurrency, actorAttributes(actor));
    });
  meter
    .createObservableGauge('wasmcloud_host.component.queued_calls', {
      description: 'Calls waiting for a free instance of a component (actor)',
    })
    .addCallback((result) => {
      for (const actor of sources.actors()) result.observe(actor.queued, actorAttributes(actor));
    });
  const providerAttributes = (provider: ProviderGauges) => ({
    'provider.id': provider.id,
    'link.name': provider.linkName,
    'contract.id': provider.contractId,
    ...base(),
  });
  meter
    .createObservableGauge('wasmcloud_host.provider.healthy', {
      description: "1 when the provider's last health check passed, else 0",
    })
    .addCallback((result) => {
      for (const provider of sources.providers())
        result.observe(provider.healthy ? 1 : 0, providerAttributes(provider));
    });
  meter
    .createObservableCounter('wasmcloud_host.provider.restarts', {
      description: 'Times the host restarted a provider process that died',
    })
    .addCallback((result) => {
      for (const provider of sources.providers())
        result.observe(provider.restarts, providerAttributes(provider));
    });
  meter
    .createObservableGauge('wasmcloud_host.nats.connected', {
      description: '1 while the NATS connection is up, 0 while it reconnects',
    })
    .addCallback((result) => {
      for (const nats of sources.nats())
        result.observe(nats.connected ? 1 : 0, { connection: nats.connection, ...base() });
    });
  meter
    .createObservableCounter('wasmcloud_host.nats.disconnects', {
      description: 'Times the NATS connection was lost (each followed by reconnecting)',
    })
    .addCallback((result) => {
      for (const nats of sources.nats())
        result.observe(nats.disconnects, { connection: nats.connection, ...base() });
    });
  meter
    .createObservableGauge('wasmcloud_host.process.memory.total.bytes', {
      description: "The machine's memory",
      unit: 'bytes',
    })
    .addCallback((result) => result.observe(totalmem(), base()));
  meter
    .createObservableGauge('wasmcloud_host.process.memory.used.bytes', {
      description: "The host process's resident memory",
      unit: 'bytes',
    })
    .addCallback((result) => result.observe(process.memoryUsage.rss(), base()));
  const cpu = cpuMeter();
  meter
    .createObservableGauge('wasmcloud_host.process.cpu.usage', {
      description: 'CPU used by the host process since the last reading, in percent of one core',
      unit: 'percent',
    })
    .addCallback((result) => result.observe(cpu(), base()));
}
