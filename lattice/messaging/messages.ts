// The payloads of wasmcloud:messaging (protocol.md §7.2) with their 2022 msgpack member names:
// PubMessage {subject, replyTo?, body} and RequestMessage {subject, body, timeoutMs} in,
// ReplyMessage {subject, replyTo?, body} back, SubMessage {subject, replyTo?, body} to actors.
// `body` is msgpack bin; a str body (some encoders write one) is taken as its UTF-8 bytes.

import { z } from 'zod';
import { decodePayload, encodePayload } from '../payload.ts';
import { MessagingError } from './errors.ts';

const encoder = new TextEncoder();

const bodySchema = z.union(
  [z.instanceof(Uint8Array), z.string().transform((text) => encoder.encode(text))],
  'expected bytes (msgpack bin)',
);
const replyToSchema = z
  .string()
  .nullish()
  .transform((replyTo) => replyTo || undefined);

export const pubMessageSchema = z.looseObject({
  subject: z.string(),
  replyTo: replyToSchema,
  body: bodySchema,
});
export type PubMessage = z.output<typeof pubMessageSchema>;

export const requestMessageSchema = z.looseObject({
  subject: z.string(),
  body: bodySchema,
  /** 0 (or missing) means the provider's default. */
  timeoutMs: z.number().int('must be an integer').min(0).default(0),
});
export type RequestMessage = z.output<typeof requestMessageSchema>;

/** A message as actors get it (SubMessage) and as a request's reply comes back (ReplyMessage). */
export interface DeliveredMessage {
  subject: string;
  replyTo?: string | undefined;
  body: Uint8Array;
}

export function encodeDeliveredMessage(message: DeliveredMessage): Uint8Array {
  return encodePayload({ subject: message.subject, replyTo: message.replyTo, body: message.body });
}

/** Decodes and validates a request payload; throws a ProviderError that says what was wrong. */
export function parseMessage<T extends z.ZodType>(schema: T, payload: Uint8Array): z.output<T> {
  const parsed = schema.safeParse(decodePayload(payload, 'request'));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
  throw new MessagingError('PAYLOAD_INVALID', `invalid request: ${problems}`);
}
