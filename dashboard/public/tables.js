// The page's tables: hosts, actors (instances per host, with scale and stop), providers (health per
// host, with stop), link definitions (with delete) and recent events. Actors and providers an
// application controller started carry a badge naming the application. Each is rebuilt from the
// rows of its current page (pager.js); the buttons call the handlers app.js gives.

import { clockTime, copyableKey, displayValue, el, humanDuration, replaceChildren, shortKey } from './dom.js';

/** @typedef {import('../page-data.ts').LatticeSnapshot} LatticeSnapshot */
/** @typedef {import('../page-data.ts').ActorSummary} ActorSummary */
/** @typedef {import('../page-data.ts').ProviderSummary} ProviderSummary */
/** @typedef {import('../page-data.ts').LinkSummary} LinkSummary */
/** @typedef {import('../page-data.ts').RecentEvent} RecentEvent */
/** @typedef {ActorSummary['instances'][number]} ActorInstance */
/** @typedef {ProviderSummary['hosts'][number]} ProviderHost */
/** @typedef {import('./dom.js').Leaf} Leaf */

/**
 * Names to show for keys, remembered across updates (events name whatever they like, so: unknown).
 * @typedef {{ host(id: unknown): string; artifact(key: unknown): string }} Names
 */

/**
 * What the buttons in the tables do (forms.js).
 * @typedef {object} TableActions
 * @property {(actor: ActorSummary, instance: ActorInstance) => void} scaleActor
 * @property {(actor: ActorSummary, instance: ActorInstance) => Promise<void>} stopActor
 * @property {(provider: ProviderSummary, entry: ProviderHost) => Promise<void>} stopProvider
 * @property {(link: LinkSummary) => Promise<void>} deleteLink
 */

/**
 * What lattice events carry, as far as the lines below read it; anyone may publish an event, so
 * every field may be missing or of another type.
 * @typedef {{ claims?: { name?: unknown } } & Record<string, unknown>} EventData
 */

/**
 * @param {number} columns
 * @param {string} text
 */
function emptyRow(columns, text) {
  return el('tr', { class: 'empty' }, el('td', { colspan: columns }, text));
}

/**
 * @param {string[]} values
 * @param {string} [className]
 */
function chips(values, className = 'chip') {
  return values.map((value) => el('span', { class: className }, value));
}

/** @param {ProviderHost['health']} health */
function healthBadge(health) {
  const text = { healthy: 'healthy', unhealthy: 'unhealthy', unknown: 'checking' }[health] ?? health;
  return el('span', { class: `badge health-${health}` }, text);
}

/** @typedef {import('../page-data.ts').HostSummary} HostSummary */

/**
 * @param {HTMLElement} tbody
 * @param {HostSummary[]} hosts the page's rows
 * @param {string} generatedAt when their uptimes were measured
 */
export function renderHosts(tbody, hosts, generatedAt) {
  const rows = hosts.map((host) =>
    el(
      'tr',
      { 'data-host-id': host.id },
      el(
        'td',
        {},
        el('strong', {}, host.friendly_name),
        host.local
          ? el('span', { class: 'badge local', title: 'This host serves the dashboard' }, 'this host')
          : null,
        host.inventory_error ? el('div', { class: 'warning' }, `inventory: ${host.inventory_error}`) : null,
      ),
      el('td', {}, copyableKey(host.id)),
      el(
        'td',
        { class: 'labels' },
        chips(Object.entries(host.labels).map(([key, value]) => `${key}=${value}`)),
      ),
      el(
        'td',
        {
          class: 'uptime',
          'data-uptime': host.uptime_seconds,
          'data-since': generatedAt,
        },
        humanDuration(host.uptime_seconds),
      ),
      el('td', { class: 'number' }, host.actor_instances),
      el('td', { class: 'number' }, host.provider_count),
      el('td', {}, host.version ?? ''),
    ),
  );
  replaceChildren(tbody, rows.length > 0 ? rows : emptyRow(7, 'No host has answered yet.'));
}

/**
 * Keeps the uptime cells counting between updates.
 * @param {HTMLElement} root
 */
export function tickUptimes(root) {
  for (const cell of root.querySelectorAll('td.uptime')) {
    const base = Number(cell.getAttribute('data-uptime'));
    const since = Date.parse(cell.getAttribute('data-since') ?? '');
    if (Number.isFinite(base) && Number.isFinite(since)) {
      cell.textContent = humanDuration(base + (Date.now() - since) / 1000);
    }
  }
}

/**
 * A badge per application that started it (the controller's annotations).
 * @param {string[]} applications
 */
function applicationBadges(applications) {
  return applications.map((name) =>
    el(
      'span',
      { class: 'badge app', 'data-app': name, title: `Started by the application controller for ${name}` },
      `app ${name}`,
    ),
  );
}

/**
 * Where an actor or provider came from: an uploaded file's name, or its reference.
 * @param {ActorSummary | ProviderSummary} artifact
 */
function source(artifact) {
  const ref = artifact.image_ref ?? ('instances' in artifact ? artifact.instances[0]?.image_ref : undefined);
  if (artifact.uploaded_file)
    return el('div', { class: 'muted ref', title: ref }, `uploaded ${artifact.uploaded_file}`);
  return ref ? el('div', { class: 'muted ref', title: ref }, ref) : null;
}

/**
 * A small button in a row.
 * @param {string} text
 * @param {string} title
 * @param {() => unknown} onclick
 * @param {string} [className]
 * @param {boolean} [disabled]
 */
export function button(text, title, onclick, className = '', disabled = false) {
  return el('button', { type: 'button', class: `small ${className}`.trim(), title, onclick, disabled }, text);
}

/**
 * @param {HTMLElement} tbody
 * @param {ActorSummary[]} actors the page's rows
 * @param {Names} names
 * @param {TableActions} handlers
 */
export function renderActors(tbody, actors, names, handlers) {
  const rows = actors.map((actor) =>
    el(
      'tr',
      { 'data-actor-id': actor.id },
      el(
        'td',
        {},
        el('strong', {}, actor.name),
        applicationBadges(actor.applications),
        actor.call_alias ? el('div', { class: 'muted' }, `alias ${actor.call_alias}`) : null,
        source(actor),
      ),
      el('td', {}, copyableKey(actor.id)),
      el(
        'td',
        {},
        el(
          'ul',
          { class: 'per-host' },
          actor.instances.map((instance) =>
            el(
              'li',
              { 'data-host-id': instance.host_id },
              el('span', { class: 'host-name' }, names.host(instance.host_id)),
              el('span', { class: 'count', title: 'instances' }, `×${instance.count}`),
              instance.scaled_to_zero
                ? el(
                    'span',
                    { class: 'dormant', title: '0 instances, scaled to zero: the next call starts one' },
                    'scaled to zero',
                  )
                : null,
              button('Scale', `Change how many instances run on ${names.host(instance.host_id)}`, () =>
                handlers.scaleActor(actor, instance),
              ),
              button(
                'Stop',
                `Stop every instance on ${names.host(instance.host_id)}`,
                () => handlers.stopActor(actor, instance),
                'danger',
              ),
            ),
          ),
        ),
      ),
      el(
        'td',
        { class: 'labels' },
        actor.caps.length > 0 ? chips(actor.caps) : el('span', { class: 'muted' }, 'none'),
      ),
      // Filled by call-rates.js from the `metrics` events.
      el('td', { class: 'rates', 'data-rates-actor': actor.id }),
    ),
  );
  replaceChildren(tbody, rows.length > 0 ? rows : emptyRow(5, 'No actor runs in this lattice.'));
}

/**
 * @param {HTMLElement} tbody
 * @param {ProviderSummary[]} providers the page's rows
 * @param {Names} names
 * @param {TableActions} handlers
 */
export function renderProviders(tbody, providers, names, handlers) {
  const rows = providers.map((provider) =>
    el(
      'tr',
      { 'data-provider-id': provider.id, 'data-link-name': provider.link_name },
      el(
        'td',
        {},
        el('strong', {}, provider.name),
        applicationBadges(provider.applications),
        source(provider),
      ),
      el('td', {}, copyableKey(provider.id)),
      el('td', {}, provider.link_name),
      el('td', {}, el('code', {}, provider.contract_id)),
      el(
        'td',
        {},
        el(
          'ul',
          { class: 'per-host' },
          provider.hosts.map((entry) =>
            el(
              'li',
              { 'data-host-id': entry.host_id },
              el('span', { class: 'host-name' }, names.host(entry.host_id)),
              healthBadge(entry.health),
              button(
                'Stop',
                `Stop this provider on ${names.host(entry.host_id)}`,
                () => handlers.stopProvider(provider, entry),
                'danger',
              ),
            ),
          ),
        ),
      ),
      el('td', { class: 'rates', 'data-rates-provider': `${provider.id}|${provider.link_name}` }),
    ),
  );
  replaceChildren(tbody, rows.length > 0 ? rows : emptyRow(6, 'No provider runs in this lattice.'));
}

/**
 * @param {string} name
 * @param {string} key
 * @param {boolean} running
 * @returns {Leaf[]}
 */
function endpoint(name, key, running) {
  return [
    el('strong', {}, name === key ? shortKey(key) : name),
    running
      ? null
      : el('span', { class: 'badge warning-badge', title: 'Nothing runs under this key now' }, 'not running'),
    el('div', {}, copyableKey(key)),
  ];
}

/**
 * @param {HTMLElement} tbody
 * @param {LinkSummary[]} links the page's rows
 * @param {TableActions} handlers
 */
export function renderLinks(tbody, links, handlers) {
  const rows = links.map((link) =>
    el(
      'tr',
      { 'data-link-id': link.id },
      el('td', {}, link.link_name),
      el('td', {}, el('code', {}, link.contract_id)),
      el('td', {}, endpoint(link.actor_name, link.actor_id, link.actor_running)),
      el('td', {}, endpoint(link.provider_name, link.provider_id, link.provider_running)),
      el(
        'td',
        { class: 'labels' },
        Object.keys(link.values).length > 0
          ? chips(Object.entries(link.values).map(([key, value]) => `${key}=${displayValue(key, value)}`))
          : el('span', { class: 'muted' }, 'none'),
      ),
      el(
        'td',
        {},
        button('Delete', 'Delete this link definition', () => handlers.deleteLink(link), 'danger'),
      ),
    ),
  );
  replaceChildren(tbody, rows.length > 0 ? rows : emptyRow(6, 'No link definitions.'));
}

/**
 * One line per event, in words.
 * @param {RecentEvent} event
 * @param {Names} names
 */
export function describeEvent(event, names) {
  const data = /** @type {EventData} */ (event.data ?? {});
  const host = names.host(event.source);
  const actor = () => data.claims?.name || names.artifact(data.public_key);
  const provider = () => data.claims?.name || names.artifact(data.public_key);
  switch (event.name) {
    case 'host_started':
      return `host ${data.friendly_name ?? host} joined`;
    case 'host_stopped':
      return `host ${host} left`;
    case 'actor_started':
      return `actor ${actor()} started on ${host}`;
    case 'actor_stopped':
      return `actor ${names.artifact(data.public_key)} stopped on ${host}`;
    case 'actor_start_failed':
      return `actor ${data.actor_ref} failed to start on ${host}: ${data.error}`;
    case 'actor_updated':
      return `actor ${names.artifact(data.public_key)} updated to revision ${data.revision} on ${host}`;
    case 'actor_update_failed':
      return `actor ${names.artifact(data.public_key)} failed to update on ${host}: ${data.reason}`;
    case 'provider_started':
      return `provider ${provider()} (${data.contract_id}, link ${data.link_name}) started on ${host}`;
    case 'provider_stopped':
      return `provider ${names.artifact(data.public_key)} (link ${data.link_name}) stopped on ${host}`;
    case 'provider_start_failed':
      return `provider ${data.provider_ref} failed to start on ${host}: ${data.error}`;
    case 'health_check_passed':
      return `provider ${names.artifact(data.public_key)} is healthy on ${host}`;
    case 'health_check_failed':
      return `provider ${names.artifact(data.public_key)} failed its health check on ${host}`;
    case 'linkdef_set':
      return `link ${data.link_name} defined: ${names.artifact(data.actor_id)} → ${names.artifact(data.provider_id)} (${data.contract_id})`;
    case 'linkdef_deleted':
      return `link ${data.link_name} deleted: ${names.artifact(data.actor_id)} → ${names.artifact(data.provider_id)} (${data.contract_id})`;
    case 'actor_interrupted':
      return `actor ${names.artifact(data.public_key)} hit its ${data.timeout_ms} ms timeout running ${data.operation} on ${host}: ${data.action === 'worker_replaced' ? 'its worker was replaced' : 'it was stopped'}`;
    case 'refmap_set':
      return `${data.oci_url} is ${names.artifact(data.public_key)}`;
    case 'nats_reconnected':
      return `${host} has its NATS ${data.connection} connection back after ${(Number(data.down_ms) / 1000).toFixed(1)} s (${data.server})`;
    default:
      return `${event.name} from ${host}`;
  }
}

const FAILURES = new Set([
  'actor_interrupted',
  'actor_start_failed',
  'actor_update_failed',
  'provider_start_failed',
  'health_check_failed',
]);

/**
 * @param {HTMLElement} list
 * @param {LatticeSnapshot} state
 * @param {Names} names
 */
export function renderEvents(list, state, names) {
  const items = state.events.map((event) =>
    el(
      'li',
      { class: FAILURES.has(event.name) ? 'failure' : '', 'data-event': event.name },
      el('time', { datetime: event.time }, clockTime(event.time)),
      el('span', {}, describeEvent(event, names)),
    ),
  );
  replaceChildren(list, items.length > 0 ? items : el('li', { class: 'muted' }, 'No events yet.'));
}
