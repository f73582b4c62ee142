// The host's metrics as the rest of the host sees them: /metrics answered (on the dashboard's route,
// or on a listener of its own with WASMCLOUD_METRICS_PORT) and the workers' counts for the
// `get.{host}.metrics` query. The OpenTelemetry SDK behind /metrics (host-metrics.ts) costs ~30 MB
// of an idle host's memory, so it is loaded on the first scrape — or at start when an OTLP endpoint
// is set, since pushes run on a timer. The workers count calls either way, so a first scrape late in
// a host's life still sees every call since it started.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../../lattice/errors.ts';
import type { HostMetrics, HostMetricsOptions } from './host-metrics.ts';
import type { InvocationMetricsSnapshot } from './invocation-metrics.ts';

export interface MetricsEndpointOptions extends HostMetricsOptions {
  /** A listener of its own for /metrics (WASMCLOUD_METRICS_HOST/PORT); else the dashboard's route only. */
  listen?: { host: string; port: number } | undefined;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export class MetricsEndpoint {
  readonly #options: MetricsEndpointOptions;
  #loading: Promise<HostMetrics> | undefined;
  #server: Server | undefined;
  /** Where Prometheus scrapes, when on a listener of its own. */
  scrapeUrl: string | undefined;

  private constructor(options: MetricsEndpointOptions) {
    this.#options = options;
  }

  /** Ready to answer; a listener of its own (if asked for) listens, or its failure was logged. */
  static async start(options: MetricsEndpointOptions): Promise<MetricsEndpoint> {
    const endpoint = new MetricsEndpoint(options);
    if (options.settings.metrics.otlpUrl !== undefined) await endpoint.#sdk();
    if (options.listen !== undefined) await endpoint.#listen(options.listen);
    return endpoint;
  }

  /** Answers a scrape in Prometheus text (the SDK's exporter writes the response). */
  serve(request: unknown, response: unknown): void {
    this.#sdk().then(
      (metrics) => metrics.serve(request, response),
      (error: unknown) => {
        this.#options.log.warn(`metrics: cannot load the OpenTelemetry SDK: ${errorMessage(error)}`);
        (response as ServerResponse).writeHead(500).end('metrics unavailable\n');
      },
    );
  }

  /** The workers' counts now (the dashboard's per-actor and per-provider rates). */
  invocations(): Promise<InvocationMetricsSnapshot> {
    return this.#options.sources.invocations();
  }

  /** Pushes what is pending over OTLP and closes the listener. */
  async shutdown(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await (await this.#loading)?.shutdown();
  }

  #sdk(): Promise<HostMetrics> {
    this.#loading ??= import('./host-metrics.ts').then(({ HostMetrics }) => HostMetrics.start(this.#options));
    return this.#loading;
  }

  async #listen(listen: { host: string; port: number }): Promise<void> {
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const path = request.url?.split('?')[0];
      if ((request.method === 'GET' || request.method === 'HEAD') && path === '/metrics') {
        this.serve(request, response);
        return;
      }
      response
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end('only GET /metrics here\n');
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listen.port, listen.host, () => resolve());
      });
    } catch (error) {
      this.#options.log.warn(
        `metrics listener on ${listen.host}:${listen.port} not started: ${errorMessage(error)}`,
      );
      return;
    }
    this.#server = server;
    const { port } = server.address() as AddressInfo;
    this.scrapeUrl = `http://${urlHost(listen.host)}:${port}/metrics`;
  }
}
