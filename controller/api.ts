// The controller's NATS API: one subscription to `wadm.api.{lattice}.model.>` in a queue group, so
// each request is answered by exactly one replica, whichever (they all read and write the shared
// store). This file reads the subject (operation, application name), bounds the body, runs the
// operation (api-handlers.ts) and answers; whatever a request holds, the answer is a reply, at
// worst `{"result":"error","message":…}` naming the problem, and never a crash.

import { truncateForDisplay } from '../lattice/display-text.ts';
import { errorFields, errorMessage } from '../lattice/errors.ts';
import { encodeJsonMessage } from '../lattice/json-message.ts';
import type { Logger } from '../lattice/log.ts';
import type { Msg, NatsConnection, Subscription } from '../lattice/nats.ts';
import {
  MAX_MANIFEST_BYTES,
  WADM_NAMED_OPERATIONS,
  WADM_OPERATIONS,
  type WadmOperation,
  wadmApiWildcard,
  wadmErrorReply,
} from '../lattice/wadm-api.ts';
import { type ApiContext, type ApiReply, handleOperation } from './api-handlers.ts';
import { APP_NAME_PATTERN } from './store-records.ts';

/** Every replica subscribes in this group: NATS hands each request to one of them. */
export const WADM_API_QUEUE_GROUP = 'wadm-controller';

/** The largest body of any other operation (they hold at most a version). */
export const MAX_REQUEST_BYTES = 16 * 1024;

/** What a request's subject asks for, or why it cannot be served. */
type Route = { ok: true; operation: WadmOperation; name: string | undefined } | { ok: false; error: string };

function isOperation(token: string): token is WadmOperation {
  return (WADM_OPERATIONS as readonly string[]).includes(token);
}

function shown(token: string): string {
  return JSON.stringify(truncateForDisplay(token, 64));
}

/** Reads `wadm.api.{lattice}.model.{operation}[.{name}]` (the subscription fixed the first four tokens). */
export function routeOf(subject: string, latticePrefix: string): Route {
  const tokens = subject.split('.');
  const [operation, name, ...extra] = tokens.slice(4);
  const example = (op: string, named: boolean) =>
    `wadm.api.${latticePrefix}.model.${op}${named ? '.{application name}' : ''}`;
  if (operation === undefined || !isOperation(operation)) {
    return {
      ok: false,
      error: `unknown operation ${shown(operation ?? '')}: the API serves ${WADM_OPERATIONS.map((op) => `model.${op}`).join(', ')}`,
    };
  }
  const named = WADM_NAMED_OPERATIONS.includes(operation);
  if (!named) {
    return name === undefined
      ? { ok: true, operation, name: undefined }
      : {
          ok: false,
          error: `model.${operation} takes no application name in its subject: send it to ${example(operation, false)}`,
        };
  }
  if (name === undefined || extra.length > 0) {
    return {
      ok: false,
      error: `model.${operation} needs exactly one application name after it: send it to ${example(operation, true)}`,
    };
  }
  if (!APP_NAME_PATTERN.test(name)) {
    return {
      ok: false,
      error: `invalid application name ${shown(name)}: a name holds only letters, digits, '-' and '_'`,
    };
  }
  return { ok: true, operation, name };
}

function sizeProblem(operation: WadmOperation, size: number): string | undefined {
  const limit = operation === 'put' ? MAX_MANIFEST_BYTES : MAX_REQUEST_BYTES;
  if (size <= limit) return undefined;
  return `the request body is ${size} bytes; model.${operation} takes at most ${limit}`;
}

export interface ApiOptions {
  nc: NatsConnection;
  latticePrefix: string;
  context: ApiContext;
  log: Logger;
}

export interface ServedApi {
  /** Stops taking requests; resolves once the ones being answered are answered. */
  stop(): Promise<void>;
}

export function serveApi(options: ApiOptions): ServedApi {
  const { nc, latticePrefix, context, log } = options;
  const inFlight = new Set<Promise<void>>();

  const answer = (msg: Msg, reply: ApiReply | ReturnType<typeof wadmErrorReply>): void => {
    let bytes = encodeJsonMessage(reply);
    if (bytes.length > nc.info!.max_payload) {
      bytes = encodeJsonMessage(
        wadmErrorReply(
          `the reply is ${bytes.length} bytes, more than NATS carries (${nc.info!.max_payload})`,
        ),
      );
    }
    if (!msg.respond(bytes))
      log.debug('a request without a reply subject was not answered', { subject: msg.subject });
  };

  const serve = async (msg: Msg): Promise<void> => {
    const route = routeOf(msg.subject, latticePrefix);
    if (!route.ok) return answer(msg, wadmErrorReply(route.error));
    const problem = sizeProblem(route.operation, msg.data.length);
    if (problem !== undefined) return answer(msg, wadmErrorReply(problem));
    let reply: ApiReply;
    try {
      reply = await handleOperation(context, route.operation, route.name, msg.data);
    } catch (error) {
      // The store unreachable or a record unreadable: the caller learns why, the process goes on.
      log.warn(`model.${route.operation} failed: ${errorMessage(error)}`, {
        app: route.name,
        ...errorFields(error),
      });
      reply = wadmErrorReply(`model.${route.operation} failed: ${errorMessage(error)}`);
    }
    log.debug(`model.${route.operation}`, {
      app: route.name,
      result: Array.isArray(reply) ? 'list' : reply.result,
    });
    answer(msg, reply);
  };

  const subscription: Subscription = nc.subscribe(wadmApiWildcard(latticePrefix), {
    queue: WADM_API_QUEUE_GROUP,
    callback: (error, msg) => {
      if (error) {
        log.warn(`the API subscription reported: ${errorMessage(error)}`, errorFields(error));
        return;
      }
      const served = serve(msg)
        .catch((failure: unknown) =>
          log.error(`answering ${msg.subject} failed: ${errorMessage(failure)}`, errorFields(failure)),
        )
        .finally(() => inFlight.delete(served));
      inFlight.add(served);
    },
  });

  return {
    async stop() {
      subscription.unsubscribe();
      await Promise.allSettled([...inFlight]);
    },
  };
}
