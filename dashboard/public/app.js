// The dashboard page: fetches the whole lattice (`GET /api/lattice`) whenever its stream of
// server-sent events opens, then follows the `delta` events (what changed since, lattice-delta.js)
// and redraws what a change touched; no reload, no polling. The tables show one page of rows each (pager.js) and the
// picture summarizes a large lattice, so 10,000 actors and 20,000 links stay quick. Names of hosts
// and artifacts are remembered, so events about a host that has left still read well.

import { errorText, getJson } from './api.js';
import { renderApplications, renderControllerStatus, setupApplications } from './applications.js';
import { renderCallRates } from './call-rates.js';
import { byId, shortKey } from './dom.js';
import { setupForms } from './forms.js';
import { applyDelta } from './lattice-delta.js';
import { renderPicture } from './lattice-picture.js';
import { renderNatsStatus } from './nats-status.js';
import { notify, setupNotices } from './notices.js';
import { createPager } from './pager.js';
import {
  renderActors,
  renderEvents,
  renderHosts,
  renderLinks,
  renderProviders,
  tickUptimes,
} from './tables.js';

/** @typedef {import('../page-data.ts').LatticeSnapshot} LatticeSnapshot */
/** @typedef {import('../page-data.ts').LatticeDelta} LatticeDelta */
/** @typedef {import('../page-data.ts').LatticeMetrics} LatticeMetrics */
/** @typedef {import('../page-data.ts').HostSummary} HostSummary */
/** @typedef {import('../page-data.ts').ActorSummary} ActorSummary */
/** @typedef {import('../page-data.ts').ProviderSummary} ProviderSummary */
/** @typedef {import('../page-data.ts').LinkSummary} LinkSummary */
/** The parts of the state a change can touch. */
/** @typedef {'hosts' | 'actors' | 'providers' | 'links' | 'events' | 'nats' | 'applications' | 'synced'} Part */
/** The parts a page move (filter, Previous, Next) touches: that table alone. */
/** @typedef {Part | 'hosts-page' | 'actors-page' | 'providers-page' | 'links-page'} Touched */

const RECONNECT_MS = 3_000;
/** @type {Part[]} */
const ALL_PARTS = ['hosts', 'actors', 'providers', 'links', 'events', 'nats', 'applications', 'synced'];

/** @type {LatticeSnapshot} */
let state = {
  version: 0,
  lattice: '',
  host_id: '',
  generated_at: '',
  synced: false,
  hosts: [],
  actors: [],
  providers: [],
  links: [],
  events: [],
  nats: [],
  applications: { controller: 'unknown', message: null, applications: [] },
};
// Keyed by whatever events name (unknown): a lookup of a missing or odd key finds nothing.
/** @type {Map<unknown, string>} */
const hostNames = new Map();
/** @type {Map<unknown, string>} */
const artifactNames = new Map();
/** @type {import('./tables.js').Names} */
const names = {
  host: (id) => hostNames.get(id) ?? shortKey(id),
  artifact: (key) => artifactNames.get(key) ?? shortKey(key),
};

/**
 * Remembers the names of what arrived (the whole state, or a delta's changed entries).
 * @param {{ hosts?: HostSummary[]; actors?: ActorSummary[]; providers?: ProviderSummary[]; links?: LinkSummary[] }} parts
 */
function remember(parts) {
  for (const host of parts.hosts ?? []) hostNames.set(host.id, host.friendly_name);
  for (const actor of parts.actors ?? []) artifactNames.set(actor.id, actor.name);
  for (const provider of parts.providers ?? []) artifactNames.set(provider.id, provider.name);
  for (const link of parts.links ?? []) {
    if (link.actor_name !== link.actor_id) artifactNames.set(link.actor_id, link.actor_name);
    if (link.provider_name !== link.provider_id) artifactNames.set(link.provider_id, link.provider_name);
  }
}

const forms = setupForms(() => state, names);
const applications = setupApplications();

/** @type {Map<string, string>} */
const rendered = new Map();
/** The latest call rates (a `metrics` event), drawn again into rebuilt tables. @type {LatticeMetrics | undefined} */
let metrics;

/** Whether `parts` differ from what `section` last showed: unchanged parts are not rebuilt, so a
 * heartbeat does not close an open drop-down or move a button from under the pointer. */
/**
 * @param {string} section
 * @param {unknown} parts
 */
function changed(section, parts) {
  const key = JSON.stringify(parts);
  if (rendered.get(section) === key) return false;
  rendered.set(section, key);
  return true;
}

const pagers = {
  /** @type {import('./pager.js').Pager<HostSummary>} */
  hosts: createPager(
    'hosts',
    (host) => [host.friendly_name, host.id, ...Object.entries(host.labels).flat()],
    () => render(state, new Set(['hosts-page'])),
  ),
  /** @type {import('./pager.js').Pager<ActorSummary>} */
  actors: createPager(
    'actors',
    (actor) => [actor.name, actor.id, ...actor.caps, ...actor.applications],
    () => render(state, new Set(['actors-page'])),
  ),
  /** @type {import('./pager.js').Pager<ProviderSummary>} */
  providers: createPager(
    'providers',
    (provider) => [provider.name, provider.id, provider.link_name, provider.contract_id],
    () => render(state, new Set(['providers-page'])),
  ),
  /** @type {import('./pager.js').Pager<LinkSummary>} */
  links: createPager(
    'links',
    (link) => [
      link.actor_name,
      link.actor_id,
      link.provider_name,
      link.provider_id,
      link.link_name,
      link.contract_id,
    ],
    () => render(state, new Set(['links-page'])),
  ),
};

/**
 * Shows `next`, redrawing only what the parts in `touched` show.
 * @param {LatticeSnapshot} next
 * @param {Set<Touched>} touched
 */
function render(next, touched) {
  state = next;
  const any = (/** @type {Touched[]} */ ...parts) => parts.some((part) => touched.has(part));
  document.title = `wasmCloud · ${next.lattice}`;
  byId('lattice-name').textContent = next.lattice;
  byId('hosts-count').textContent = String(next.hosts.length);
  byId('actors-count').textContent = String(next.actors.length);
  byId('providers-count').textContent = String(next.providers.length);
  byId('links-count').textContent = String(next.links.length);
  byId('apps-count').textContent = String(next.applications.applications.length);
  const hostNameList = next.hosts.map((host) => [host.id, host.friendly_name]);
  if (any('actors', 'providers', 'links')) renderPicture(byId('picture'), next);
  renderControllerStatus(byId('apps-controller'), next.applications);
  if (any('applications', 'actors', 'providers')) {
    const actorsById = new Map(next.actors.map((actor) => [actor.id, actor]));
    const memberNames = next.applications.applications.map((app) =>
      app.actors.map((id) => [id, actorsById.get(id)?.name, actorsById.get(id)?.total_instances]),
    );
    if (changed('applications', [next.applications, memberNames, next.providers.length]))
      renderApplications(byId('apps-body'), next, applications);
  }
  if (any('hosts', 'hosts-page')) {
    const page = pagers.hosts.page(next.hosts);
    // Uptime and last-seen change in every state; the uptime cells count by themselves.
    const hostRows = page.rows.map(({ uptime_seconds: _uptime, last_seen: _seen, ...rest }) => rest);
    if (changed('hosts', hostRows)) renderHosts(byId('hosts-body'), page.rows, next.generated_at);
  }
  let ratesCells = false;
  if (any('actors', 'hosts', 'actors-page')) {
    const page = pagers.actors.page(next.actors);
    if (changed('actors', [page.rows, hostNameList])) {
      renderActors(byId('actors-body'), page.rows, names, forms);
      ratesCells = true;
    }
  }
  if (any('providers', 'hosts', 'providers-page')) {
    const page = pagers.providers.page(next.providers);
    if (changed('providers', [page.rows, hostNameList])) {
      renderProviders(byId('providers-body'), page.rows, names, forms);
      ratesCells = true;
    }
  }
  // Rebuilt rows have empty rate cells: the latest rates go in at once, not at the next event.
  if (ratesCells) renderCallRates(document.body, metrics, names.host);
  if (any('links', 'links-page')) {
    const page = pagers.links.page(next.links);
    if (changed('links', page.rows)) renderLinks(byId('links-body'), page.rows, forms);
  }
  if (any('events', 'hosts') && changed('events', [next.events.map((event) => event.id), hostNameList]))
    renderEvents(byId('events-list'), next, names);
  if (
    any('hosts', 'actors', 'providers') &&
    changed('choices', [hostNameList, next.actors.map((a) => [a.id, a.name]), next.providers])
  )
    forms.refreshChoices(next);
  renderNatsStatus(byId('nats-status'), next.nats);
  setLive(next.synced ? 'live' : 'syncing');
}

/** @typedef {'connecting' | 'syncing' | 'live' | 'reconnecting'} LiveState */

/** @type {Record<LiveState, string>} */
const LIVE_TEXT = {
  connecting: 'connecting…',
  syncing: 'live · finding hosts…',
  live: 'live',
  reconnecting: 'reconnecting…',
};

/** @param {LiveState} status */
function setLive(status) {
  const pill = byId('live-status');
  pill.dataset.state = status;
  pill.textContent = LIVE_TEXT[status] ?? status;
}

/**
 * Applies a delta that follows the state shown; false when it does not (one was missed).
 * @param {LatticeDelta} delta
 */
function showDelta(delta) {
  // Already in the state that was fetched: it was sent while the fetch was on its way.
  if (delta.version <= state.version) return true;
  const next = applyDelta(state, delta);
  if (next === undefined) return false;
  remember({
    hosts: delta.hosts?.changed,
    actors: delta.actors?.changed,
    providers: delta.providers?.changed,
    links: delta.links?.changed,
  });
  render(next, new Set(ALL_PARTS.filter((part) => part in delta)));
  return true;
}

function connect() {
  // The whole state comes by fetch, the changes by the stream: a stream event of megabytes (20,000
  // links) takes Chromium's EventSource many seconds to parse, JSON by fetch a fraction of that.
  const source = new EventSource('/api/events?state=none');
  /** Deltas that arrive while the whole state is being fetched, applied after it. @type {LatticeDelta[] | undefined} */
  let waiting;
  const fetchState = async () => {
    waiting = [];
    try {
      /** @type {LatticeSnapshot} */
      const whole = /** @type {LatticeSnapshot} */ (await getJson('/api/lattice'));
      remember(whole);
      render(whole, new Set(ALL_PARTS));
      const buffered = waiting;
      waiting = undefined;
      for (const delta of buffered) if (!showDelta(delta)) return restart();
    } catch (error) {
      waiting = undefined;
      notify('error', `could not show the lattice's state: ${errorText(error)}`);
    }
  };
  const restart = () => {
    // A change was missed: the whole state again, on a new stream.
    source.close();
    connect();
  };
  // On every (re)connection: changes made while the stream was down are in the whole state.
  source.addEventListener('open', () => void fetchState());
  source.addEventListener('delta', (event) => {
    try {
      /** @type {LatticeDelta} */
      const delta = JSON.parse(event.data);
      if (waiting !== undefined) waiting.push(delta);
      else if (!showDelta(delta)) restart();
    } catch (error) {
      notify('error', `could not show the lattice's change: ${errorText(error)}`);
    }
  });
  source.addEventListener('metrics', (event) => {
    try {
      metrics = JSON.parse(event.data);
      renderCallRates(document.body, metrics, names.host);
    } catch (error) {
      notify('error', `could not show the call rates: ${errorText(error)}`);
    }
  });
  source.addEventListener('error', () => {
    setLive('reconnecting');
    // EventSource retries by itself unless the server refused the stream outright.
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, RECONNECT_MS);
  });
}

function start() {
  setupNotices(byId('notices'));
  byId('open-start-actor').addEventListener('click', forms.openStartActor);
  byId('open-start-provider').addEventListener('click', forms.openStartProvider);
  byId('open-define-link').addEventListener('click', forms.openDefineLink);
  byId('open-upload-manifest').addEventListener('click', applications.openUpload);
  setInterval(() => tickUptimes(byId('hosts-body')), 1_000);
  connect();
}

start();
