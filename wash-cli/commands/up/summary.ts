// What `wash up` prints once the host (and the application controller) answer: where everything
// is and what to try next.

import { DEFAULT_LATTICE_PREFIX } from '../../../lattice/control-client.ts';
import type { StartedController } from './controller-process.ts';
import { DEFAULT_NATS_HOST, DEFAULT_NATS_PORT } from './flags.ts';
import type { HostPlan } from './host-plan.ts';
import { hostLogTail, type StartedHost } from './host-process.ts';
import type { ChosenNats } from './nats-for-up.ts';

/** The `wash ctl` flags that reach this lattice; empty when the defaults already do. */
function ctlFlags(nats: ChosenNats, latticePrefix: string): string {
  const flags: string[] = [];
  if (nats.host !== DEFAULT_NATS_HOST) flags.push('-r', nats.host);
  if (nats.port !== DEFAULT_NATS_PORT) flags.push('-p', String(nats.port));
  if (latticePrefix !== DEFAULT_LATTICE_PREFIX) flags.push('-x', latticePrefix);
  return flags.length === 0 ? '' : ` ${flags.join(' ')}`;
}

export function readyText(
  plan: HostPlan,
  nats: ChosenNats,
  host: StartedHost,
  controller: StartedController | undefined,
  detached: boolean,
): string {
  const tail = hostLogTail(host);
  const rows: Array<[string, string]> = [
    ['NATS', `${nats.url} (${nats.child ? 'started by wash up' : 'already running'})`],
    ['Host ID', plan.hostId],
    ['Lattice', plan.latticePrefix],
  ];
  if (tail.dashboardUrl) rows.push(['Dashboard', tail.dashboardUrl]);
  if (host.log) rows.push(['Host log', host.log]);
  rows.push([
    'Controller',
    controller
      ? `application controller running (pid ${controller.child.pid}): wash app …`
      : 'none (--no-wadm): wash app needs one',
  ]);
  if (controller?.log) rows.push(['Controller log', controller.log]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const flags = ctlFlags(nats, plan.latticePrefix);
  return [
    `wasmCloud host ${detached ? 'running in the background' : 'started'}`,
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
    '  file references allowed (local use): --allow-file-load',
    '',
    'Try next:',
    `  wash ctl get hosts${flags}`,
    `  wash ctl start actor <signed .wasm file or OCI reference>${flags}`,
    ...(controller ? [`  wash app deploy examples/echo-app.yaml${flags}`] : []),
    detached
      ? '  wash down          (stops what wash up started)'
      : '  Ctrl-C             (stops what wash up started)',
  ].join('\n');
}

export function readyJson(
  plan: HostPlan,
  nats: ChosenNats,
  host: StartedHost,
  controller: StartedController | undefined,
): Record<string, unknown> {
  const tail = hostLogTail(host);
  return {
    nats_url: nats.url,
    nats_started: nats.child !== undefined,
    host_id: plan.hostId,
    lattice_prefix: plan.latticePrefix,
    host_pid: host.child.pid,
    ...(nats.child ? { nats_pid: nats.child.pid } : {}),
    ...(host.log ? { host_log: host.log } : {}),
    ...(tail.dashboardUrl ? { dashboard_url: tail.dashboardUrl } : {}),
    wadm_started: controller !== undefined,
    ...(controller ? { wadm_pid: controller.child.pid } : {}),
    ...(controller?.log ? { wadm_log: controller.log } : {}),
    allow_file_load: true,
    kill_cmd: 'wash down',
  };
}
