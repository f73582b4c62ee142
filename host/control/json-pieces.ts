// Replies as JSON text in pieces, so a reply that grows with the lattice (an inventory of 50,000
// instances, 20,000 links) is never one giant object or string: a list is marked `streamedList`,
// its items are read from an iterable as the text is written, and the writer (reply-sender.ts)
// sends the pieces in one message when they fit or streams them into the object store otherwise.

/** About how long a piece grows before it is handed on. */
const PIECE_CHARS = 16 * 1024;

/** A JSON array whose items are produced one at a time, as the reply is written. */
export class StreamedList {
  readonly items: Iterable<unknown>;
  constructor(items: Iterable<unknown>) {
    this.items = items;
  }
}

export function streamedList<T, U>(items: Iterable<T>, map: (item: T) => U): StreamedList {
  return new StreamedList(
    (function* () {
      for (const item of items) yield map(item);
    })(),
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof StreamedList)
  );
}

function holdsStreamedList(value: Record<string, unknown>): boolean {
  // for…in, not Object.values: this runs for every item of a list, and allocates nothing.
  for (const key in value) {
    const field = value[key];
    if (field instanceof StreamedList) return true;
    if (isPlainObject(field) && holdsStreamedList(field)) return true;
  }
  return false;
}

/** Whether writing `value` may hand pieces on: a list streamed, or an object holding one. */
function streams(value: unknown): boolean {
  return value instanceof StreamedList || (isPlainObject(value) && holdsStreamedList(value));
}

/**
 * The JSON text of `value` in pieces; the same text `JSON.stringify` writes, except that a
 * StreamedList becomes an array of its items. The text gathers into pieces of about PIECE_CHARS,
 * handed on between the items of a streamed list: one piece per item and field (200,000 for an
 * inventory of 50,000 instances) cost more than the text itself.
 */
export function* jsonPieces(value: unknown): Generator<string> {
  const out = { text: '' };
  yield* write(value, out);
  if (out.text !== '') yield out.text;
}

function* write(value: unknown, out: { text: string }): Generator<string> {
  if (value instanceof StreamedList) {
    out.text += '[';
    let first = true;
    for (const item of value.items) {
      if (!first) out.text += ',';
      first = false;
      const defined = item === undefined ? null : item;
      // Only what may stream goes through a generator of its own.
      if (streams(defined)) yield* write(defined, out);
      else out.text += JSON.stringify(defined);
      if (out.text.length >= PIECE_CHARS) {
        yield out.text;
        out.text = '';
      }
    }
    out.text += ']';
    return;
  }
  if (!streams(value)) {
    out.text += JSON.stringify(value);
    return;
  }
  let separator = '{';
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    if (field === undefined) continue;
    out.text += `${separator}${JSON.stringify(key)}:`;
    separator = ',';
    yield* write(field, out);
  }
  out.text += separator === '{' ? '{}' : '}';
}
