// Replies as JSON text in pieces, so a reply that grows with the lattice (an inventory of 50,000
// instances, 20,000 links) is never one giant object or string: a list is marked `streamedList`,
// its items are read from an iterable as the text is written, and the writer (reply-sender.ts)
// sends the pieces in one message when they fit or streams them into the object store otherwise.

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
  for (const field of Object.values(value)) {
    if (field instanceof StreamedList) return true;
    if (isPlainObject(field) && holdsStreamedList(field)) return true;
  }
  return false;
}

/**
 * The JSON text of `value` in pieces; the same text `JSON.stringify` writes, except that a
 * StreamedList becomes an array of its items. Objects without one are written whole.
 */
export function* jsonPieces(value: unknown): Generator<string> {
  if (value instanceof StreamedList) {
    yield '[';
    let first = true;
    for (const item of value.items) {
      if (!first) yield ',';
      first = false;
      yield* jsonPieces(item === undefined ? null : item);
    }
    yield ']';
    return;
  }
  if (!isPlainObject(value) || !holdsStreamedList(value)) {
    yield JSON.stringify(value);
    return;
  }
  let separator = '{';
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined) continue;
    yield `${separator}${JSON.stringify(key)}:`;
    separator = ',';
    yield* jsonPieces(field);
  }
  yield separator === '{' ? '{}' : '}';
}
