// Sends a control reply whatever its size (lattice/control-chunking.ts). The reply is written as JSON
// pieces (json-pieces.ts); while they fit in the server's max_payload they go out as one message,
// the 2022 way. Past it, a requester that follows chunked replies gets the rest streamed into the
// object store and a `chunked_reply` pointing at it; any other requester gets a refusal naming the
// reply's size. Nothing here throws: what cannot be sent is logged with its subject and size.

import { randomUUID } from 'node:crypto';
import type { ChunkStore } from '../../lattice/chunking.ts';
import {
  ACCEPT_CHUNKED_REPLY_HEADER,
  CHUNKED_REPLY_CODE,
  type ChunkedReply,
  replyTooLargeText,
} from '../../lattice/control-chunking.ts';
import { errorMessage } from '../../lattice/errors.ts';
import { encodeJsonMessage } from '../../lattice/json-message.ts';
import type { Logger } from '../../lattice/log.ts';
import type { Msg } from '../../lattice/nats.ts';
import type { LatticeSubjects } from '../../lattice/subjects.ts';
import { jsonPieces } from './json-pieces.ts';
import { refuse } from './refusal.ts';

/** What sending a reply needs besides the message it answers. */
export interface ReplyChannel {
  /** The control connection's max_payload now (it may change with a reconnect). */
  maxPayload(): number;
  /** The lattice's object store, reached through the control connection. */
  chunks: ChunkStore;
  subjects: LatticeSubjects;
  jsDomain: string | undefined;
  log: Pick<Logger, 'debug' | 'warn'>;
}

/** Pieces are gathered into writes of about this many bytes on their way to the object store. */
const STREAM_BATCH_BYTES = 64 * 1024;

const utf8 = new TextEncoder();

/** Responds with `bytes`; a failure (connection closed, server limit lowered) is logged, not thrown. */
function respondWith(channel: ReplyChannel, msg: Msg, bytes: Uint8Array): void {
  try {
    msg.respond(bytes);
  } catch (error) {
    channel.log.warn(
      `control request on ${msg.subject}: the reply (${bytes.length} bytes) could not be sent: ${errorMessage(error)}`,
      { code: 'CONTROL_REPLY_UNSENT', subject: msg.subject, bytes: bytes.length },
    );
  }
}

/** The rest of `pieces` as UTF-8 writes of about STREAM_BATCH_BYTES, after `first`. */
function pieceStream(first: string[], pieces: Iterator<string>): ReadableStream<Uint8Array> {
  let pending = first;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const batch = pending;
      pending = [];
      let length = batch.reduce((sum, piece) => sum + piece.length, 0);
      let finished = false;
      while (length < STREAM_BATCH_BYTES) {
        const next = pieces.next();
        if (next.done) {
          finished = true;
          break;
        }
        batch.push(next.value);
        length += next.value.length;
      }
      if (batch.length > 0) controller.enqueue(utf8.encode(batch.join('')));
      if (finished) controller.close();
    },
  });
}

export async function sendReply(channel: ReplyChannel, msg: Msg, reply: object): Promise<void> {
  const limit = channel.maxPayload();
  const pieces = jsonPieces(reply);
  const first: string[] = [];
  let bytes = 0;
  for (let next = pieces.next(); !next.done; next = pieces.next()) {
    first.push(next.value);
    bytes += Buffer.byteLength(next.value);
    if (bytes > limit) break;
  }
  if (bytes <= limit) return respondWith(channel, msg, utf8.encode(first.join('')));

  if (!msg.headers?.has(ACCEPT_CHUNKED_REPLY_HEADER)) {
    // Counted to the end, so the refusal can say how large the reply is; nothing is kept.
    for (const piece of pieces) bytes += Buffer.byteLength(piece);
    const text = replyTooLargeText(bytes, limit);
    channel.log.warn(`control request on ${msg.subject}: ${text}`, {
      code: 'CONTROL_REPLY_TOO_LARGE',
      subject: msg.subject,
      bytes,
    });
    return respondWith(channel, msg, encodeJsonMessage(refuse('CONTROL_REPLY_TOO_LARGE', text)));
  }

  const object = channel.subjects.chunking.controlReplyObject(randomUUID());
  let stored: number;
  try {
    stored = await channel.chunks.putStream(object, pieceStream(first, pieces));
  } catch (error) {
    const text = `the reply (over ${limit} bytes) could not be stored in the object store: ${errorMessage(error)}`;
    channel.log.warn(`control request on ${msg.subject}: ${text}`, {
      code: 'CONTROL_REPLY_UNSENT',
      subject: msg.subject,
      bytes,
    });
    return respondWith(channel, msg, encodeJsonMessage(refuse('CONTROL_REPLY_UNSENT', text)));
  }
  const signal: ChunkedReply = {
    ...refuse(CHUNKED_REPLY_CODE, replyTooLargeText(stored, limit, object)),
    accepted: false,
    chunked_reply: {
      object,
      bytes: stored,
      ...(channel.jsDomain === undefined ? {} : { js_domain: channel.jsDomain }),
    },
  };
  channel.log.debug(`control request on ${msg.subject}: ${stored} bytes sent through object ${object}`);
  respondWith(channel, msg, encodeJsonMessage(signal));
}
