// Control replies larger than the NATS server's max_payload (a wasmcloud-ts addition; docs/host.md,
// "Limits and scale"). A client that can follow them says so with a header on its request; the host
// then streams the reply into the lattice's object store (the bucket of chunked invocations,
// protocol.md §3.5) and answers with a refusal in the 2022 ack shape plus an added `chunked_reply`
// field naming the object. A 2022 client, which sends no header, gets the refusal alone: its
// `error` names the reply's size and the server's limit. The reader deletes the object it read; one
// nobody reads (the client timed out) expires with the store's max_age (chunking.ts).

import { z } from 'zod';
import { nonEmptyStringSchema, nonNegativeIntSchema, optionalField } from './json-message.ts';
import { CONTROL_REPLY_OBJECT_PREFIX } from './subjects.ts';

/** The request header (any value) of a client that follows `chunked_reply`. */
export const ACCEPT_CHUNKED_REPLY_HEADER = 'Wasmcloud-Accept-Chunked-Reply';

/** The `code` of the refusal carrying `chunked_reply`. */
export const CHUNKED_REPLY_CODE = 'CONTROL_REPLY_CHUNKED';

/** Beyond this a client refuses to read a chunked reply (a host gone wrong must not exhaust it). */
export const MAX_CHUNKED_REPLY_BYTES = 512 * 1024 * 1024;

export const chunkedReplySchema = z
  .looseObject({
    accepted: z.literal(false),
    error: z.string(),
    code: optionalField(z.string()),
    chunked_reply: z.looseObject({
      /** In the object store named after the lattice; always starts with `ctl-reply-`. */
      object: nonEmptyStringSchema.refine(
        (name) => name.startsWith(CONTROL_REPLY_OBJECT_PREFIX),
        `must start with ${CONTROL_REPLY_OBJECT_PREFIX}`,
      ),
      bytes: nonNegativeIntSchema.max(MAX_CHUNKED_REPLY_BYTES, `must be at most ${MAX_CHUNKED_REPLY_BYTES}`),
      /** The JetStream domain the host wrote it in, when it uses one. */
      js_domain: optionalField(z.string()),
    }),
  })
  .describe('chunked reply');
export type ChunkedReply = z.output<typeof chunkedReplySchema>;

/** The `error` text of a reply too large to send, for 2022 clients and people alike. */
export function replyTooLargeText(bytes: number, maxPayload: number, chunkedTo?: string): string {
  const size = `the reply (${bytes} bytes) could not be sent: it is over the NATS server's max_payload of ${maxPayload} bytes`;
  return chunkedTo === undefined
    ? `${size}; a client that follows chunked replies (wash, the dashboard, the controller of wasmcloud-ts) reads it through the object store`
    : `${size}; it is in object ${chunkedTo} of the lattice's object store`;
}
