// The dashboard's HTTP server (fastify): the page's files, the JSON API (docs/dashboard.md) and the
// live feed. Bodies are kept as raw bytes and validated by the API's own zod schemas, so every bad
// input gets the same error shape naming the field; only JSON and, for uploads, octet-stream bodies
// are accepted. Every request passes the guard (origin and Host checks) first.

import { type FastifyError, type FastifyInstance, type FastifyRequest, fastify } from 'fastify';
import type { Logger } from '../lattice/log.ts';
import { MAX_MANIFEST_BYTES } from '../lattice/wadm-api.ts';
import type { DashboardActions } from './actions.ts';
import {
  apiErrorOf,
  DashboardApiError,
  parseJsonBody,
  parseOptionalJsonBody,
  validateInput,
} from './api-errors.ts';
import {
  applicationParamsSchema,
  deleteApplicationBodySchema,
  deleteLinkBodySchema,
  deployApplicationBodySchema,
  eventsQuerySchema,
  latticeQuerySchema,
  putLinkBodySchema,
  putManifestBodySchema,
  scaleActorBodySchema,
  startActorBodySchema,
  startProviderBodySchema,
  stopActorBodySchema,
  stopProviderBodySchema,
  undeployApplicationBodySchema,
  uploadQuerySchema,
} from './api-schemas.ts';
import type { ApplicationActions } from './application-actions.ts';
import { isFastifyErrorCode } from './errors.ts';
import type { MetricsEndpoint } from './host-services.ts';
import { sectionPage } from './lattice-feed.ts';
import type { LatticeLoad } from './lattice-load.ts';
import type { LatticeMetrics } from './page-data.ts';
import { guardRequest } from './request-guard.ts';
import type { ServerSentEvents } from './server-sent-events.ts';
import type { LatticeSnapshot } from './snapshot.ts';
import { CONTENT_SECURITY_POLICY, type StaticFile } from './static-files.ts';
import type { UploadStore } from './uploads.ts';

/** JSON bodies are small (the largest is a provider's configuration, up to 64 KiB). */
export const JSON_BODY_LIMIT = 128 * 1024;

export interface Readiness {
  ready: boolean;
  checks: Record<string, string>;
}

export interface DashboardServerParts {
  actions: DashboardActions;
  applications: ApplicationActions;
  /** A page opened the live feed (the applications are read again for it). */
  onPageOpened?: (() => void) | undefined;
  uploads: UploadStore;
  sse: ServerSentEvents;
  /** The lattice now, numbered by the live feed (lattice-feed.ts); open pages are sent what changed. */
  snapshot: () => LatticeSnapshot;
  /** Every host's load, asked now (lattice-load.ts). */
  load: () => Promise<LatticeLoad>;
  /** Every actor's and provider's call rates (call-rates.ts): `read` for GET /api/metrics, `state` for the feed. */
  callRates: { state(): LatticeMetrics; read(): Promise<LatticeMetrics> };
  readiness: () => Promise<Readiness>;
  staticFiles: Map<string, StaticFile>;
  log: Logger;
  bindHost: string;
  /** The port actually listened on (known only after listen when 0 was asked for). */
  port: () => number;
  /** GET /metrics answered by the host's metrics (Prometheus text); none when metrics are off. */
  metrics?: MetricsEndpoint | undefined;
}

/** Fastify's own errors (body too large, wrong content type, …) in the API's words. */
function fastifyErrorOf(error: FastifyError, request: FastifyRequest): DashboardApiError | undefined {
  const status = error.statusCode;
  if (status === undefined || status >= 500) return undefined;
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new DashboardApiError(
      413,
      'BODY_TOO_LARGE',
      `the request body is larger than the limit of ${request.routeOptions.bodyLimit} bytes`,
    );
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const wanted = request.url.startsWith('/api/uploads') ? 'application/octet-stream' : 'application/json';
    return new DashboardApiError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type ${request.headers['content-type'] ?? '(none)'} is not accepted here: send ${wanted}`,
    );
  }
  const code = isFastifyErrorCode(error.code) ? error.code : 'BAD_REQUEST';
  return new DashboardApiError(status, code, error.message, undefined, { cause: error });
}

export function createDashboardServer(parts: DashboardServerParts): FastifyInstance {
  const { actions, uploads, sse, log } = parts;
  const app = fastify({
    logger: false,
    bodyLimit: JSON_BODY_LIMIT,
    forceCloseConnections: true,
    return503OnClosing: true,
  });

  // Raw bytes: the API's schemas decide what is valid, and say so in their own words.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );

  app.addHook('onRequest', async (request) => {
    guardRequest({ method: request.method, headers: request.headers }, parts.bindHost, parts.port());
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError =
      error instanceof DashboardApiError ? error : (fastifyErrorOf(error, request) ?? apiErrorOf(error));
    if (apiError.status >= 500)
      log.warn(`dashboard: ${request.method} ${request.url}: ${apiError.message}`, { code: apiError.code });
    void reply.status(apiError.status).type('application/json; charset=utf-8').send(apiError.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    if (path.startsWith('/api/')) {
      throw new DashboardApiError(
        404,
        'NOT_FOUND',
        `no such API endpoint: ${request.method} ${path} (docs/dashboard.md lists them)`,
      );
    }
    void reply.status(404).type('text/plain; charset=utf-8').send(`not found: ${path}\n`);
  });

  // ---- health ----

  const startedAt = Date.now();
  app.get('/api/livez', async () => ({
    status: 'ok',
    uptime_seconds: Math.floor((Date.now() - startedAt) / 1000),
  }));
  app.get('/api/readyz', async (_request, reply) => {
    const readiness = await parts.readiness();
    return reply.status(readiness.ready ? 200 : 503).send(readiness);
  });

  // ---- the lattice ----

  const metrics = parts.metrics;
  if (metrics !== undefined) {
    // Prometheus scrapes here (the dashboard's port, docs/host.md "Telemetry"); the SDK writes the reply.
    app.get('/metrics', (request, reply) => {
      reply.hijack();
      metrics.serve(request.raw, reply.raw);
    });
  }
  app.get('/api/lattice', async (request) => {
    const query = validateInput(latticeQuerySchema, request.query);
    const state = parts.snapshot();
    if (query.section === undefined) return state;
    return sectionPage(state, query.section, query.offset, query.limit, query.filter);
  });
  app.get('/api/load', async () => parts.load());
  app.get('/api/metrics', async () => parts.callRates.read());
  app.get('/api/events', (request, reply) => {
    if (sse.full) throw new DashboardApiError(503, 'TOO_MANY_STREAMS', 'too many pages are open; close one');
    const { state } = validateInput(eventsQuerySchema, request.query);
    reply.hijack();
    sse.add(reply.raw, [
      // The page fetches the whole state itself (?state=none) and needs only the changes here.
      ...(state === 'whole' ? [{ event: 'state', data: JSON.stringify(parts.snapshot()) }] : []),
      { event: 'metrics', data: JSON.stringify(parts.callRates.state()) },
    ]);
    request.raw.on('error', () => reply.raw.destroy());
    parts.onPageOpened?.();
  });

  // ---- uploads ----

  app.get('/api/uploads', async () => ({ uploads: uploads.list() }));
  app.post('/api/uploads', { bodyLimit: uploads.limits.maxFileBytes }, async (request, reply) => {
    const query = validateInput(uploadQuerySchema, request.query);
    const contentType = request.headers['content-type'];
    if (contentType !== undefined && !contentType.startsWith('application/octet-stream')) {
      throw new DashboardApiError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Type ${contentType} is not accepted here: send the file as the request body with Content-Type: application/octet-stream`,
      );
    }
    if (!(request.body instanceof Uint8Array)) {
      throw new DashboardApiError(
        400,
        'BODY_MISSING',
        'send the file as the request body with Content-Type: application/octet-stream',
      );
    }
    const fileName = query.name ?? (query.kind === 'actor' ? 'actor.wasm' : 'provider.par.gz');
    const info = await uploads.add(query.kind, fileName, request.body);
    return reply.status(201).send(info);
  });

  // ---- actions ----

  app.post('/api/actors', async (request) =>
    actions.startActor(parseJsonBody(startActorBodySchema, request.body)),
  );
  app.post('/api/actors/scale', async (request) =>
    actions.scaleActor(parseJsonBody(scaleActorBodySchema, request.body)),
  );
  app.post('/api/actors/stop', async (request) =>
    actions.stopActor(parseJsonBody(stopActorBodySchema, request.body)),
  );
  app.post('/api/providers', async (request) =>
    actions.startProvider(parseJsonBody(startProviderBodySchema, request.body)),
  );
  app.post('/api/providers/stop', async (request) =>
    actions.stopProvider(parseJsonBody(stopProviderBodySchema, request.body)),
  );
  app.post('/api/links', async (request) => actions.putLink(parseJsonBody(putLinkBodySchema, request.body)));
  app.post('/api/links/delete', async (request) =>
    actions.deleteLink(parseJsonBody(deleteLinkBodySchema, request.body)),
  );

  // ---- applications (the application controller's API) ----

  const applications = parts.applications;
  const appName = (request: FastifyRequest) => validateInput(applicationParamsSchema, request.params).name;
  app.get('/api/applications', async () => applications.list());
  // A manifest is sent as JSON text, so its escaping may make the body larger than the manifest.
  app.post('/api/applications', { bodyLimit: 2 * MAX_MANIFEST_BYTES }, async (request, reply) =>
    reply.status(201).send(await applications.put(parseJsonBody(putManifestBodySchema, request.body))),
  );
  app.get('/api/applications/:name', async (request) => applications.detail(appName(request)));
  app.post('/api/applications/:name/deploy', async (request) =>
    applications.deploy(appName(request), parseOptionalJsonBody(deployApplicationBodySchema, request.body)),
  );
  app.post('/api/applications/:name/undeploy', async (request) => {
    const name = appName(request);
    parseOptionalJsonBody(undeployApplicationBodySchema, request.body);
    return applications.undeploy(name);
  });
  app.post('/api/applications/:name/delete', async (request) =>
    applications.delete(appName(request), parseOptionalJsonBody(deleteApplicationBodySchema, request.body)),
  );

  // ---- the page ----

  for (const [path, file] of parts.staticFiles) {
    app.get(path, async (request, reply) => {
      reply.header('etag', file.etag).header('cache-control', 'no-cache').type(file.contentType);
      if (request.headers['if-none-match'] === file.etag) return reply.status(304).send();
      return reply.send(file.body);
    });
  }

  return app;
}
