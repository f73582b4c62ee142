// Applies the live feed's `delta` events (../page-data.ts LatticeDelta) to the page's state: the
// changed entries of each section replace theirs by key, the removed go, and each touched section
// is sorted as the server's snapshot sorts it (../snapshot.ts). Plain data in, plain data out, so
// the API tests rebuild the state with this same code and compare it with a fresh snapshot.

/** @typedef {import('../page-data.ts').LatticeSnapshot} LatticeSnapshot */
/** @typedef {import('../page-data.ts').LatticeDelta} LatticeDelta */
/** @typedef {import('../page-data.ts').HostSummary} HostSummary */
/** @typedef {import('../page-data.ts').ActorSummary} ActorSummary */
/** @typedef {import('../page-data.ts').ProviderSummary} ProviderSummary */
/** @typedef {import('../page-data.ts').LinkSummary} LinkSummary */
/** @typedef {'hosts' | 'actors' | 'providers' | 'links'} KeyedSection */

const compare = new Intl.Collator().compare;

/** @type {(a: HostSummary, b: HostSummary) => number} */
const hostOrder = (a, b) => compare(a.friendly_name, b.friendly_name) || compare(a.id, b.id);
/** @type {(a: ActorSummary, b: ActorSummary) => number} */
const actorOrder = (a, b) => compare(a.name, b.name) || compare(a.id, b.id);
/** @type {(a: ProviderSummary, b: ProviderSummary) => number} */
const providerOrder = (a, b) =>
  compare(a.name, b.name) || compare(a.id, b.id) || compare(a.link_name, b.link_name);
/** @type {(a: LinkSummary, b: LinkSummary) => number} */
const linkOrder = (a, b) =>
  compare(a.actor_name, b.actor_name) ||
  compare(a.contract_id, b.contract_id) ||
  compare(a.link_name, b.link_name) ||
  compare(a.id, b.id);

/**
 * How the feed keys an entry of a section.
 * @param {KeyedSection} section
 * @param {{ id: string; link_name?: string }} entry
 */
export function entryKey(section, entry) {
  return section === 'providers' ? `${entry.id}|${entry.link_name}` : entry.id;
}

/**
 * @template {{ id: string; link_name?: string }} T
 * @param {KeyedSection} section
 * @param {T[]} entries
 * @param {{ changed: T[]; removed: string[] } | undefined} changes
 * @param {(a: T, b: T) => number} order
 * @returns {T[]}
 */
function applySection(section, entries, changes, order) {
  if (changes === undefined) return entries;
  const byKey = new Map(entries.map((entry) => [entryKey(section, entry), entry]));
  for (const key of changes.removed) byKey.delete(key);
  for (const entry of changes.changed) byKey.set(entryKey(section, entry), entry);
  return [...byKey.values()].sort(order);
}

/**
 * The state after `delta`, or undefined when the delta is for another version (the page then asks
 * for the whole state again).
 * @param {LatticeSnapshot} state
 * @param {LatticeDelta} delta
 * @returns {LatticeSnapshot | undefined}
 */
export function applyDelta(state, delta) {
  if (delta.base !== state.version) return undefined;
  // Hosts that did not change still age: their uptime moves on with the clock of the snapshot.
  const elapsed = Math.max(0, (Date.parse(delta.generated_at) - Date.parse(state.generated_at)) / 1000);
  const aged = state.hosts.map((host) => ({
    ...host,
    uptime_seconds: host.uptime_seconds + (Number.isFinite(elapsed) ? elapsed : 0),
  }));
  return {
    ...state,
    version: delta.version,
    generated_at: delta.generated_at,
    synced: delta.synced ?? state.synced,
    hosts: applySection('hosts', aged, delta.hosts, hostOrder),
    actors: applySection('actors', state.actors, delta.actors, actorOrder),
    providers: applySection('providers', state.providers, delta.providers, providerOrder),
    links: applySection('links', state.links, delta.links, linkOrder),
    events: delta.events ?? state.events,
    nats: delta.nats ?? state.nats,
    applications: delta.applications ?? state.applications,
  };
}
