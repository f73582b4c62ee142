// The dashboard's list of recent lattice events, bounded in count and in bytes. Anyone who may
// publish on `wasmbus.evt.{lattice}` decides what an event holds (one of 1 MB made every snapshot
// megabytes long), so each event is kept as a compact copy: strings cut, lists and objects cut
// after a budget of characters, nesting cut at a depth; and the oldest go once the list is over
// its total.

import { truncateForDisplay } from '../lattice/display-text.ts';
import type { RecentEvent } from './page-data.ts';

export type { RecentEvent } from './page-data.ts';

export interface RecentEventLimits {
  /** Events kept at most; default 50. */
  count: number;
  /** JSON characters the kept events may take together; default 256 KiB. */
  totalChars: number;
  /** JSON characters of one event's data, roughly; default 8 KiB. */
  eventChars: number;
}

export const DEFAULT_RECENT_EVENT_LIMITS: RecentEventLimits = {
  count: 50,
  totalChars: 256 * 1024,
  eventChars: 8 * 1024,
};

/** Characters kept of one string in an event (host error texts are bounded at 2048 already). */
const MAX_STRING = 2048;
/** Characters kept of an object key, and of the envelope's id, source and name. */
const MAX_KEY = 128;
const MAX_DEPTH = 8;
const CUT = '…';

/** A copy of `value` of at most about `budget.left` JSON characters (it counts them down). */
function compact(value: unknown, budget: { left: number }, depth: number): unknown {
  if (typeof value === 'string') {
    const kept = truncateForDisplay(value, Math.max(16, Math.min(MAX_STRING, budget.left)));
    budget.left -= kept.length + 2;
    return kept;
  }
  if (value === null || typeof value !== 'object') {
    budget.left -= 8;
    return value;
  }
  if (depth >= MAX_DEPTH) {
    budget.left -= 3;
    return CUT;
  }
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (const item of value) {
      if (budget.left <= 0) {
        items.push(`${CUT} (${value.length - items.length} more)`);
        break;
      }
      items.push(compact(item, budget, depth + 1));
    }
    return items;
  }
  // Entries, then fromEntries: a key such as "__proto__" stays an own property.
  const entries: Array<[string, unknown]> = [];
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (budget.left <= 0) {
      entries.push([CUT, 'more fields left out']);
      break;
    }
    const shownKey = truncateForDisplay(key, MAX_KEY);
    budget.left -= shownKey.length + 4;
    entries.push([shownKey, compact((value as Record<string, unknown>)[key], budget, depth + 1)]);
  }
  return Object.fromEntries(entries);
}

/** The event as the dashboard keeps it: every value from outside bounded. */
export function compactEvent(event: RecentEvent, eventChars: number): RecentEvent {
  return {
    id: truncateForDisplay(event.id, MAX_KEY),
    time: truncateForDisplay(event.time, MAX_KEY),
    name: truncateForDisplay(event.name, MAX_KEY),
    source: truncateForDisplay(event.source, MAX_KEY),
    data: compact(event.data, { left: eventChars }, 0),
  };
}

export class RecentEvents {
  readonly #limits: RecentEventLimits;
  readonly #kept: Array<{ event: RecentEvent; chars: number }> = [];
  #totalChars = 0;

  constructor(limits: Partial<RecentEventLimits> = {}) {
    this.#limits = { ...DEFAULT_RECENT_EVENT_LIMITS, ...limits };
  }

  add(event: RecentEvent): void {
    const kept = compactEvent(event, this.#limits.eventChars);
    const chars = JSON.stringify(kept).length;
    this.#kept.push({ event: kept, chars });
    this.#totalChars += chars;
    while (
      this.#kept.length > this.#limits.count ||
      (this.#totalChars > this.#limits.totalChars && this.#kept.length > 1)
    ) {
      const dropped = this.#kept.shift();
      if (dropped) this.#totalChars -= dropped.chars;
    }
  }

  /** Newest first. */
  newestFirst(): RecentEvent[] {
    return this.#kept.map((entry) => entry.event).reverse();
  }

  /** JSON characters the kept events take together. */
  get totalChars(): number {
    return this.#totalChars;
  }
}
