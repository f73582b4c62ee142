// The page's live feed: server-sent events (`GET /api/events`). Each open page is one response kept
// open; a broadcast writes the same event to all of them. A comment line every 15 s keeps proxies
// from closing idle streams, and a page that stops reading is dropped rather than buffered forever.

import type { ServerResponse } from 'node:http';

/** More unread output than this and the page is dropped (EventSource reconnects by itself). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export interface SseMessage {
  event: string;
  /** One line of JSON (no newlines: JSON.stringify without indentation). */
  data: string;
}

function frame(message: SseMessage): string {
  return `event: ${message.event}\ndata: ${message.data}\n\n`;
}

export class ServerSentEvents {
  readonly #clients = new Set<ServerResponse>();
  readonly #maxClients: number;
  readonly #keepAlive: NodeJS.Timeout;

  constructor(maxClients = 100, keepAliveMs = 15_000) {
    this.#maxClients = maxClients;
    this.#keepAlive = setInterval(() => this.#writeAll(': keep-alive\n\n'), keepAliveMs);
    this.#keepAlive.unref();
  }

  get size(): number {
    return this.#clients.size;
  }

  get full(): boolean {
    return this.#clients.size >= this.#maxClients;
  }

  /** Starts the stream on `response` and sends `first` to it. */
  add(response: ServerResponse, first: SseMessage[]): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
      // Tells nginx-style proxies not to buffer the stream.
      'x-accel-buffering': 'no',
    });
    // How long EventSource waits before reconnecting after the stream drops.
    response.write('retry: 2000\n\n');
    for (const message of first) response.write(frame(message));
    this.#clients.add(response);
    response.on('close', () => this.#clients.delete(response));
  }

  broadcast(message: SseMessage): void {
    this.#writeAll(frame(message));
  }

  #writeAll(text: string): void {
    for (const client of this.#clients) {
      if (client.writableLength > MAX_BUFFERED_BYTES) {
        this.#clients.delete(client);
        client.destroy();
        continue;
      }
      client.write(text);
    }
  }

  /** Ends every stream (the pages reconnect to whoever serves next). */
  close(): void {
    clearInterval(this.#keepAlive);
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }
}
