// The dashboard page: follows the lattice through server-sent events (`state`: the whole lattice,
// sent on every change) and redraws the picture and the tables; no reload, no polling. Names of
// hosts and artifacts are remembered, so events about a host that has left still read well.

import { errorText, getJson } from './api.js';
import { renderApplications, renderControllerStatus, setupApplications } from './applications.js';
import { renderCallRates } from './call-rates.js';
import { byId, shortKey } from './dom.js';
import { setupForms } from './forms.js';
import { renderPicture } from './lattice-picture.js';
import { renderNatsStatus } from './nats-status.js';
import { notify, setupNotices } from './notices.js';
import {
  renderActors,
  renderEvents,
  renderHosts,
  renderLinks,
  renderProviders,
  tickUptimes,
} from './tables.js';

/** @typedef {import('../page-data.ts').LatticeSnapshot} LatticeSnapshot */
/** @typedef {import('../page-data.ts').LatticeMetrics} LatticeMetrics */

const RECONNECT_MS = 3_000;

/** @type {LatticeSnapshot} */
let state = {
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

/** @param {LatticeSnapshot} next */
function remember(next) {
  for (const host of next.hosts) hostNames.set(host.id, host.friendly_name);
  for (const actor of next.actors) artifactNames.set(actor.id, actor.name);
  for (const provider of next.providers) artifactNames.set(provider.id, provider.name);
  for (const link of next.links) {
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

/** @param {LatticeSnapshot} next */
function render(next) {
  state = next;
  remember(next);
  document.title = `wasmCloud · ${next.lattice}`;
  byId('lattice-name').textContent = next.lattice;
  byId('hosts-count').textContent = String(next.hosts.length);
  byId('actors-count').textContent = String(next.actors.length);
  byId('providers-count').textContent = String(next.providers.length);
  byId('links-count').textContent = String(next.links.length);
  byId('apps-count').textContent = String(next.applications.applications.length);
  const hostNameList = next.hosts.map((host) => [host.id, host.friendly_name]);
  // Uptime and last-seen change in every state; the uptime cells count by themselves.
  const hostRows = next.hosts.map(({ uptime_seconds: _uptime, last_seen: _seen, ...rest }) => rest);
  if (changed('picture', [next.actors, next.providers, next.links])) renderPicture(byId('picture'), next);
  renderControllerStatus(byId('apps-controller'), next.applications);
  const memberNames = [next.actors.map((a) => [a.id, a.name, a.total_instances]), next.providers];
  if (changed('applications', [next.applications, memberNames]))
    renderApplications(byId('apps-body'), next, applications);
  if (changed('hosts', hostRows)) renderHosts(byId('hosts-body'), next);
  const actorsChanged = changed('actors', [next.actors, hostNameList]);
  if (actorsChanged) renderActors(byId('actors-body'), next, names, forms);
  const providersChanged = changed('providers', [next.providers, hostNameList]);
  if (providersChanged) renderProviders(byId('providers-body'), next, names, forms);
  // Rebuilt rows have empty rate cells: the latest rates go in at once, not at the next event.
  if (actorsChanged || providersChanged) renderCallRates(document.body, metrics, names.host);
  if (changed('links', next.links)) renderLinks(byId('links-body'), next, forms);
  if (changed('events', [next.events.map((event) => event.id), hostNameList]))
    renderEvents(byId('events-list'), next, names);
  if (changed('choices', [hostNameList, next.actors.map((a) => [a.id, a.name]), next.providers]))
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

function connect() {
  const source = new EventSource('/api/events');
  source.addEventListener('state', (event) => {
    try {
      render(JSON.parse(event.data));
    } catch (error) {
      notify('error', `could not show the lattice's state: ${errorText(error)}`);
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

async function start() {
  setupNotices(byId('notices'));
  byId('open-start-actor').addEventListener('click', forms.openStartActor);
  byId('open-start-provider').addEventListener('click', forms.openStartProvider);
  byId('open-define-link').addEventListener('click', forms.openDefineLink);
  byId('open-upload-manifest').addEventListener('click', applications.openUpload);
  setInterval(() => tickUptimes(byId('hosts-body')), 1_000);
  try {
    render(/** @type {LatticeSnapshot} */ (await getJson('/api/lattice')));
  } catch (error) {
    notify('error', errorText(error));
  }
  connect();
}

start();
