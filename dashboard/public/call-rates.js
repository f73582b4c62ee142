// The call rates beside each actor and provider (the `metrics` server-sent event, page-data.ts
// LatticeMetrics): a small sparkline of the last two minutes or so (calls/s for an actor, requests/s
// for a provider, errors/s drawn over it in red) and the latest figures in words. The tables leave
// an empty cell per row (`data-rates-actor`, `data-rates-provider`); this fills them in place, so a
// new point redraws only those cells, never the rows with their buttons.

import { byId, el, replaceChildren, svg } from './dom.js';

/** @typedef {import('../page-data.ts').LatticeMetrics} LatticeMetrics */
/** @typedef {import('../page-data.ts').ActorRates} ActorRates */
/** @typedef {import('../page-data.ts').ProviderRates} ProviderRates */

const WIDTH = 120;
const HEIGHT = 26;

/**
 * `12/s`, `3.4/s`, `0.25/s`: two significant digits below 10.
 * @param {number} perSecond
 */
export function rateText(perSecond) {
  if (perSecond === 0) return '0/s';
  return perSecond >= 10 ? `${Math.round(perSecond)}/s` : `${Number(perSecond.toPrecision(2))}/s`;
}

/**
 * `850 µs`, `4.1 ms`, `230 ms`, `1.2 s`.
 * @param {number} ms
 */
export function durationText(ms) {
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 10) return `${Number(ms.toPrecision(2))} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${Number((ms / 1000).toPrecision(2))} s`;
}

/**
 * The points of one line, scaled to the box (the newest at the right edge).
 * @param {number[]} values
 * @param {number} top the value drawn at the top
 * @param {number} slots how many points the box holds
 */
function points(values, top, slots) {
  const step = WIDTH / Math.max(1, slots - 1);
  const offset = slots - values.length;
  return values
    .map((value, index) => {
      const x = (offset + index) * step;
      const y = HEIGHT - 1 - (Math.min(value, top) / top) * (HEIGHT - 2);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}

/**
 * A sparkline of `values` (and `errors` over it), with what it shows as its label.
 * @param {number[]} values
 * @param {number[]} errors
 * @param {number} slots
 * @param {string} label
 */
function sparkline(values, errors, slots, label) {
  const top = Math.max(...values, ...errors, 0.001);
  return svg(
    'svg',
    {
      class: 'sparkline',
      width: WIDTH,
      height: HEIGHT,
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: 'img',
      'aria-label': label,
    },
    svg('title', {}, label),
    svg('line', { class: 'baseline', x1: 0, y1: HEIGHT - 1, x2: WIDTH, y2: HEIGHT - 1 }),
    values.length > 1 ? svg('polyline', { class: 'calls', points: points(values, top, slots) }) : null,
    errors.some((value) => value > 0)
      ? svg('polyline', { class: 'errors', points: points(errors, top, slots) })
      : null,
  );
}

/**
 * The newest value of a series that may have gaps (null: no call ended in that interval).
 * @template T
 * @param {T[]} list
 * @returns {T | undefined}
 */
function newest(list) {
  return list[list.length - 1];
}

/**
 * @param {ActorRates} actor
 * @param {number} slots
 */
function actorCell(actor, slots) {
  const rate = newest(actor.calls_per_s) ?? 0;
  const errors = newest(actor.errors_per_s) ?? 0;
  const p50 = newest(actor.p50_ms);
  const p99 = newest(actor.p99_ms);
  const latency =
    p50 === null || p50 === undefined || p99 === null || p99 === undefined
      ? null
      : `p50 ${durationText(p50)} · p99 ${durationText(p99)}`;
  return [
    sparkline(
      actor.calls_per_s,
      actor.errors_per_s,
      slots,
      `calls per second, the last ${actor.calls_per_s.length} intervals`,
    ),
    el(
      'div',
      { class: 'rate-figures' },
      el('span', { class: 'rate', 'data-rate': rate }, rateText(rate)),
      latency ? el('span', { class: 'latency' }, latency) : null,
      errors > 0 ? el('span', { class: 'rate-errors' }, `${rateText(errors)} failed`) : null,
    ),
    el(
      'div',
      { class: 'muted rate-total' },
      `${actor.calls_total} calls${actor.errors_total > 0 ? `, ${actor.errors_total} failed` : ''}`,
    ),
  ];
}

/**
 * @param {ProviderRates} provider
 * @param {number} slots
 */
function providerCell(provider, slots) {
  const rate = newest(provider.requests_per_s) ?? 0;
  const errors = newest(provider.errors_per_s) ?? 0;
  return [
    sparkline(
      provider.requests_per_s,
      provider.errors_per_s,
      slots,
      `requests per second from actors, the last ${provider.requests_per_s.length} intervals`,
    ),
    el(
      'div',
      { class: 'rate-figures' },
      el('span', { class: 'rate', 'data-rate': rate }, `${rateText(rate)} req`),
      el(
        'span',
        { class: errors > 0 ? 'rate-errors' : 'muted', 'data-errors': errors },
        `${rateText(errors)} errors`,
      ),
    ),
    el(
      'div',
      { class: 'muted rate-total' },
      `${provider.requests_total} requests, ${provider.errors_total} failed`,
    ),
  ];
}

/**
 * Fills every rates cell of the tables from `metrics`; call again after the tables are rebuilt.
 * @param {HTMLElement} root
 * @param {LatticeMetrics | undefined} metrics
 * @param {(hostId: string) => string} hostName
 */
export function renderCallRates(root, metrics, hostName) {
  // As wide as the server keeps points, so the line moves left as it fills.
  const slots = metrics?.points ?? 60;
  // Before the hosts' first answers nothing is known yet, not "no calls".
  const asked = Boolean(metrics?.updated_at);
  const actors = new Map((metrics?.actors ?? []).map((actor) => [actor.id, actor]));
  const providers = new Map(
    (metrics?.providers ?? []).map((provider) => [`${provider.provider_id}|${provider.link_name}`, provider]),
  );
  for (const cell of root.querySelectorAll('td[data-rates-actor]')) {
    const actor = actors.get(cell.getAttribute('data-rates-actor') ?? '');
    replaceChildren(
      cell,
      actor ? actorCell(actor, slots) : el('span', { class: 'muted' }, asked ? 'no calls yet' : '…'),
    );
  }
  for (const cell of root.querySelectorAll('td[data-rates-provider]')) {
    const provider = providers.get(cell.getAttribute('data-rates-provider') ?? '');
    replaceChildren(
      cell,
      provider
        ? providerCell(provider, slots)
        : el('span', { class: 'muted' }, asked ? 'no requests yet' : '…'),
    );
  }
  const left = [
    ...(metrics?.metrics_off ?? []).map((hostId) => `${hostName(hostId)} (metrics off)`),
    ...(metrics?.unanswered ?? []).map((entry) => `${hostName(entry.host_id)} (no answer)`),
  ];
  byId('rates-note').textContent = left.length > 0 ? `Rates leave out hosts ${left.join(', ')}.` : '';
}
