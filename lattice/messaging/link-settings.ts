// What a link's values say about the actor's NATS connection, as the 2022 NATS messaging provider
// read them (protocol.md §7.2). Keys are matched in any case.
//   config_b64 / config_json  JSON {subscriptions[], cluster_uris[], auth_jwt, auth_seed,
//                             ping_interval_sec} (base64 or plain; config_b64 wins when both)
//   SUBSCRIPTION  comma list of subjects, each `subject` or `subject|queue` (a queue group);
//                 added to the JSON's subscriptions
//   URI           comma list of servers, added to cluster_uris; none given: the provider's default
//                 (providers/messaging: 127.0.0.1:4222; the host's built-in: the lattice's NATS)
//   CLIENT_JWT, CLIENT_SEED   credentials, overriding auth_jwt/auth_seed; both or neither

import { z } from 'zod';
import { errorMessage } from '../errors.ts';
import { MessagingError } from './errors.ts';
import { subjectProblem } from './subject-rules.ts';

/** providers/messaging's NATS when a link names none (as the 2022 provider's). */
export const DEFAULT_NATS_URI = '127.0.0.1:4222';

export interface Subscription {
  subject: string;
  /** The queue group: each message goes to one member of it. */
  queue?: string | undefined;
}

export interface MessagingLinkSettings {
  /** Servers of one NATS cluster; undefined when the link names none (the provider's default). */
  servers: string[] | undefined;
  subscriptions: Subscription[];
  jwt?: string | undefined;
  seed?: string | undefined;
}

/** The link's values do not give a usable NATS connection; the link is refused with this message. */
export class MessagingLinkSettingsError extends MessagingError {
  constructor(message: string, options?: ErrorOptions) {
    super('MESSAGING_SETTINGS_INVALID', message, options);
  }
}

const connectionConfigSchema = z.looseObject({
  subscriptions: z.array(z.string()).default([]),
  cluster_uris: z.array(z.string()).default([]),
  auth_jwt: z.string().nullish(),
  auth_seed: z.string().nullish(),
  ping_interval_sec: z.number().int().min(0).nullish(),
});
type ConnectionConfig = z.output<typeof connectionConfigSchema>;

/** The value of `name` in any case; an error when two spellings disagree. */
function linkValue(values: Readonly<Record<string, string>>, name: string): string | undefined {
  const found = Object.entries(values).filter(([key]) => key.toUpperCase() === name.toUpperCase());
  if (new Set(found.map(([, value]) => value)).size > 1) {
    throw new MessagingLinkSettingsError(
      `link values ${found.map(([key]) => key).join(' and ')} disagree; give ${name} once`,
    );
  }
  return found[0]?.[1];
}

function parseConfig(name: string, json: string): ConnectionConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new MessagingLinkSettingsError(`${name} is not JSON: ${errorMessage(error)}`, { cause: error });
  }
  const result = connectionConfigSchema.safeParse(parsed);
  if (result.success) return result.data;
  const problems = result.error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
  throw new MessagingLinkSettingsError(`${name} is not a connection config: ${problems}`);
}

function baseConfig(values: Readonly<Record<string, string>>): ConnectionConfig {
  const b64 = linkValue(values, 'config_b64');
  if (b64 !== undefined) {
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64.trim()))
      throw new MessagingLinkSettingsError('config_b64 is not base64');
    return parseConfig('config_b64', Buffer.from(b64.trim(), 'base64').toString('utf8'));
  }
  const json = linkValue(values, 'config_json');
  if (json !== undefined) return parseConfig('config_json', json);
  return connectionConfigSchema.parse({});
}

function commaList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function parseSubscription(entry: string): Subscription {
  const [subject = '', queue, extra] = entry.split('|').map((part) => part.trim());
  if (extra !== undefined) {
    throw new MessagingLinkSettingsError(
      `subscription ${JSON.stringify(entry)}: use subject or subject|queue`,
    );
  }
  const problem = subjectProblem(subject, 'subscribe');
  if (problem !== undefined)
    throw new MessagingLinkSettingsError(`subscription ${JSON.stringify(entry)}: ${problem}`);
  if (queue !== undefined && (queue === '' || /\s/.test(queue))) {
    throw new MessagingLinkSettingsError(
      `subscription ${JSON.stringify(entry)}: the queue group must be non-empty, without whitespace`,
    );
  }
  return { subject, queue };
}

export function messagingLinkSettings(values: Readonly<Record<string, string>>): MessagingLinkSettings {
  const config = baseConfig(values);
  const subscriptions = [...config.subscriptions, ...commaList(linkValue(values, 'SUBSCRIPTION') ?? '')];
  const servers = [...config.cluster_uris.flatMap(commaList), ...commaList(linkValue(values, 'URI') ?? '')];
  const bad = servers.find((server) => /\s/.test(server));
  if (bad !== undefined)
    throw new MessagingLinkSettingsError(`URI ${JSON.stringify(bad)} contains whitespace`);
  const jwt = linkValue(values, 'CLIENT_JWT') || config.auth_jwt || undefined;
  const seed = linkValue(values, 'CLIENT_SEED') || config.auth_seed || undefined;
  if ((jwt === undefined) !== (seed === undefined)) {
    throw new MessagingLinkSettingsError(
      'CLIENT_JWT and CLIENT_SEED (auth_jwt and auth_seed) must be given together, or neither',
    );
  }
  return {
    servers: servers.length > 0 ? servers : undefined,
    subscriptions: subscriptions.map(parseSubscription),
    jwt,
    seed,
  };
}
