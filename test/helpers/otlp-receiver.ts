// An OTLP/HTTP receiver for tests: a node:http server taking POST /v1/traces and /v1/metrics with the
// JSON bodies the SDK's OTLP/HTTP exporters send (ExportTraceServiceRequest, ExportMetricsServiceRequest),
// keeping every span and metric data point with its resource.
// There is no OpenTelemetry collector in the package registries here (docs/host.md, Telemetry), so
// tests read what a collector would have received from this.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type AttributeValue = string | number | boolean;

/** One received span, its attributes and its resource's attributes flattened to plain values. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, AttributeValue>;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  resource: Record<string, AttributeValue>;
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}

interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
  status?: { code?: number };
}

interface OtlpRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: { spans?: OtlpSpan[] }[];
  }[];
}

/** One metric data point as pushed over OTLP/HTTP JSON (ExportMetricsServiceRequest). */
export interface ReceivedMetricPoint {
  name: string;
  attributes: Record<string, AttributeValue>;
  /** A sum's or gauge's value; a histogram's count. */
  value: number;
  resource: Record<string, AttributeValue>;
}

interface OtlpDataPoint {
  attributes?: OtlpAttribute[];
  asInt?: string | number;
  asDouble?: number;
  count?: string | number;
}

interface OtlpMetricsRequest {
  resourceMetrics?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeMetrics?: {
      metrics?: {
        name: string;
        sum?: { dataPoints?: OtlpDataPoint[] };
        gauge?: { dataPoints?: OtlpDataPoint[] };
        histogram?: { dataPoints?: OtlpDataPoint[] };
      }[];
    }[];
  }[];
}

function plainValue(value: OtlpValue): AttributeValue {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  return value.boolValue ?? '';
}

function flatten(attributes: OtlpAttribute[] | undefined): Record<string, AttributeValue> {
  const flat: Record<string, AttributeValue> = {};
  for (const { key, value } of attributes ?? []) flat[key] = plainValue(value);
  return flat;
}

export class OtlpReceiver {
  readonly url: string;
  /** Every span received so far, in arrival order. */
  readonly spans: ReceivedSpan[] = [];
  /** Every metric data point received on /v1/metrics (a histogram's value is its count). */
  readonly metricPoints: ReceivedMetricPoint[] = [];
  /** Requests that were not a readable OTLP JSON body (a test should see none). */
  readonly rejected: string[] = [];
  readonly #server: Server;

  private constructor(server: Server, url: string) {
    this.#server = server;
    this.url = url;
  }

  static async start(): Promise<OtlpReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const receiver = new OtlpReceiver(server, `http://127.0.0.1:${port}`);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (request.method !== 'POST' || (request.url !== '/v1/traces' && request.url !== '/v1/metrics')) {
          receiver.rejected.push(`${request.method} ${request.url}`);
          response.writeHead(404).end();
          return;
        }
        try {
          if (request.url === '/v1/metrics') receiver.#takeMetrics(JSON.parse(body) as OtlpMetricsRequest);
          else receiver.#take(JSON.parse(body) as OtlpRequest);
        } catch (error) {
          receiver.rejected.push(`unreadable body: ${String(error)}`);
          response.writeHead(400).end();
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    return receiver;
  }

  #take(request: OtlpRequest): void {
    for (const resourceSpans of request.resourceSpans ?? []) {
      const resource = flatten(resourceSpans.resource?.attributes);
      for (const scope of resourceSpans.scopeSpans ?? [])
        for (const span of scope.spans ?? [])
          this.spans.push({
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            name: span.name,
            kind: span.kind,
            attributes: flatten(span.attributes),
            statusCode: span.status?.code ?? 0,
            resource,
          });
    }
  }

  #takeMetrics(request: OtlpMetricsRequest): void {
    for (const resourceMetrics of request.resourceMetrics ?? []) {
      const resource = flatten(resourceMetrics.resource?.attributes);
      for (const scope of resourceMetrics.scopeMetrics ?? [])
        for (const metric of scope.metrics ?? []) {
          const points =
            metric.sum?.dataPoints ?? metric.gauge?.dataPoints ?? metric.histogram?.dataPoints ?? [];
          for (const point of points)
            this.metricPoints.push({
              name: metric.name,
              attributes: flatten(point.attributes),
              value: Number(point.asInt ?? point.asDouble ?? point.count ?? 0),
              resource,
            });
        }
    }
  }

  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  stop(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
