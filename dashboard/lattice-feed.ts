// The live feed's memory of what the pages were last sent, so a change goes out as a delta (the
// entries that changed, by key) instead of the whole lattice again: at 20,000 links the whole state
// is megabytes, one link put is a few hundred bytes. Each update builds a fresh snapshot, compares
// every entry's JSON with the last one sent, and numbers the result; a page that connects gets the
// whole state of the current version, then the deltas that follow it.

import type {
  HostSummary,
  LatticeDelta,
  LatticeSectionPage,
  LatticeSnapshot,
  ProviderSummary,
  SectionChanges,
} from './page-data.ts';

export type KeyedSection = 'hosts' | 'actors' | 'providers' | 'links';
const KEYED_SECTIONS: KeyedSection[] = ['hosts', 'actors', 'providers', 'links'];
/** The small parts, sent whole when they changed. */
type WholePart = 'synced' | 'events' | 'nats' | 'applications';
const WHOLE_PARTS: WholePart[] = ['synced', 'events', 'nats', 'applications'];

type Entry = LatticeSnapshot[KeyedSection][number];

/** How an entry of each section is keyed (providers run under one key per link name). */
export function entryKey(section: KeyedSection, entry: Entry): string {
  return section === 'providers' ? `${entry.id}|${(entry as ProviderSummary).link_name}` : entry.id;
}

/** An entry as compared: a host's uptime grows in every snapshot, and the page counts it by itself. */
function comparedJson(section: KeyedSection, entry: Entry): string {
  if (section !== 'hosts') return JSON.stringify(entry);
  const { uptime_seconds: _uptime, ...rest } = entry as HostSummary;
  return JSON.stringify(rest);
}

export interface FeedUpdate {
  state: LatticeSnapshot;
  /** What changed since the previous version; undefined when nothing did. */
  delta: LatticeDelta | undefined;
}

export class LatticeFeed {
  readonly #build: () => LatticeSnapshot;
  #version = 0;
  #state: LatticeSnapshot | undefined;
  readonly #entries = new Map<KeyedSection, Map<string, string>>();
  readonly #whole = new Map<WholePart, string>();

  constructor(build: () => LatticeSnapshot) {
    this.#build = build;
  }

  get version(): number {
    return this.#version;
  }

  /** Builds the lattice as it is now and says what changed since the last update. */
  update(): FeedUpdate {
    const next = this.#build();
    const base = this.#version;
    const delta: LatticeDelta = { version: base + 1, base, generated_at: next.generated_at };
    let changed = this.#state === undefined;
    for (const section of KEYED_SECTIONS) {
      const changes = this.#compare(section, next[section]);
      if (changes.changed.length > 0 || changes.removed.length > 0) {
        // Each section has its own entry type; the keys match by name.
        (delta as unknown as Record<KeyedSection, SectionChanges<Entry>>)[section] = changes;
        changed = true;
      }
    }
    for (const part of WHOLE_PARTS) {
      const json = JSON.stringify(next[part]);
      if (this.#whole.get(part) === json) continue;
      this.#whole.set(part, json);
      (delta as unknown as Record<WholePart, unknown>)[part] = next[part];
      changed = true;
    }
    if (!changed && this.#state !== undefined) {
      this.#state = { ...next, version: base };
      return { state: this.#state, delta: undefined };
    }
    this.#version = base + 1;
    this.#state = { ...next, version: this.#version };
    return { state: this.#state, delta: this.#state.version === 1 ? undefined : delta };
  }

  #compare(section: KeyedSection, entries: Entry[]): SectionChanges<Entry> {
    const before = this.#entries.get(section) ?? new Map<string, string>();
    const after = new Map<string, string>();
    const changed: Entry[] = [];
    for (const entry of entries) {
      const key = entryKey(section, entry);
      const json = comparedJson(section, entry);
      after.set(key, json);
      if (before.get(key) !== json) changed.push(entry);
    }
    const removed = [...before.keys()].filter((key) => !after.has(key));
    this.#entries.set(section, after);
    return { changed, removed };
  }
}

/** Whether an entry matches a filter (lower case): any of its names, keys and words. */
function matches(entry: Entry, filter: string): boolean {
  const words: string[] = [];
  if ('friendly_name' in entry)
    words.push(entry.friendly_name, entry.id, ...Object.entries(entry.labels).flat());
  else if ('actor_id' in entry)
    words.push(
      entry.actor_name,
      entry.actor_id,
      entry.provider_name,
      entry.provider_id,
      entry.link_name,
      entry.contract_id,
    );
  else if ('link_name' in entry) words.push(entry.name, entry.id, entry.link_name, entry.contract_id);
  else words.push(entry.name, entry.id, ...entry.caps);
  return words.some((word) => word.toLowerCase().includes(filter));
}

/** One page of one section of a state, filtered when `filter` is not empty. */
export function sectionPage(
  state: LatticeSnapshot,
  section: KeyedSection,
  offset: number,
  limit: number,
  filter: string,
): LatticeSectionPage {
  const wanted = filter.trim().toLowerCase();
  const all: Entry[] = state[section];
  const entries = wanted === '' ? all : all.filter((entry) => matches(entry, wanted));
  return {
    version: state.version,
    section,
    total: entries.length,
    offset,
    limit,
    items: entries.slice(offset, offset + limit),
  };
}
