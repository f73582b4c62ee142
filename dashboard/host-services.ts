// What the dashboard needs from the host that serves it, as interfaces the dashboard defines and
// the host satisfies: the dashboard imports only lattice/ (test/architecture.test.ts), so the
// host's NATS connection watcher reaches it through these shapes, never by import. (The logger
// it is given is lattice/log.ts's Logger.) It imports nothing, so the page's type-check reads it.

/** One of the host's own NATS connections (control or RPC), as the page shows it. */
export interface NatsConnectionReport {
  /** `control` or `rpc`. */
  connection: string;
  /** The server (`host:port`) it is connected to, or was last connected to. */
  server: string;
  state: 'connected' | 'reconnecting';
  /** When it entered that state (ISO-8601). */
  since: string;
  /** How many times it was lost since the host started. */
  disconnects: number;
}

/** The host's NATS connections: the current reports, and a call when they change. */
export interface NatsStatusSource {
  reports(): NatsConnectionReport[];
  onChange(listener: () => void): () => void;
}

/**
 * The host's metrics endpoint: answers a scrape in Prometheus text, writing the Node response itself
 * (the OpenTelemetry SDK's Prometheus exporter). Shapes of node:http, named here without importing.
 */
export interface MetricsEndpoint {
  serve(request: unknown, response: unknown): void;
}
