// The host's own NATS connections, in the page's header: "NATS connected", or "NATS lost ·
// reconnecting since 12:03:04" while any of them is down. The dashboard runs in the host, so the
// page learns this even while NATS is gone; the tooltip lists each connection.

import { clockTime } from './dom.js';

/**
 * @param {HTMLElement} pill
 * @param {import('../host-services.ts').NatsConnectionReport[] | undefined} reports
 */
export function renderNatsStatus(pill, reports) {
  if (!Array.isArray(reports) || reports.length === 0) {
    pill.hidden = true;
    return;
  }
  pill.hidden = false;
  const down = reports.filter((report) => report.state === 'reconnecting');
  // The live pill's colours: green while connected, amber while reconnecting.
  pill.dataset.state = down.length > 0 ? 'reconnecting' : 'live';
  const since = down.map((report) => report.since).sort()[0];
  pill.textContent =
    since === undefined ? 'NATS connected' : `NATS lost · reconnecting since ${clockTime(since)}`;
  pill.title = reports
    .map((report) => {
      const lost = report.disconnects > 0 ? `; lost ${report.disconnects}× since the host started` : '';
      return `${report.connection} connection: ${report.state} (${report.server}) since ${clockTime(report.since)}${lost}`;
    })
    .join('\n');
}
