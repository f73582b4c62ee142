// What `npm run bench -- apps` measured, and how it prints it: the controller's figures beside the
// direct ControlClient baseline of the same run, as ratios.

import type { ControlTally } from './control-traffic.ts';

export interface AppsShape {
  actorCount: number;
  instancesPerActor: number;
  zones: readonly string[];
  totalInstances: number;
}

/** The first deploy, on hosts that never ran the actors, and the idle minute after it. */
export interface ColdDeploy {
  /** From the hosts' start to the deploy (the direct phases on fresh hosts wait as long). */
  hostWarmupMs: number;
  putAndDeployAckedMs: number;
  /** When the first and the last `la` crossed the wire, and the first instance started. */
  firstLaunchMs: number;
  lastLaunchMs: number;
  firstStartedMs: number;
  deployedMs: number;
  allStartedMs: number;
  perHostInventory: number[];
  traffic: ControlTally;
  /** Instances the `la` commands asked for (the sum of their counts). */
  asked: number;
  cpuSeconds: number;
  undeployMs: number;
  undeployTraffic: ControlTally;
}

export interface IdleMinute {
  windowMs: number;
  settleMs: number;
  traffic: ControlTally;
  controllerCpuSeconds: number;
  hostCpuSeconds: number[];
  rssBeforeDeploy: number;
  rssAfterIdle: number;
  heartbeatsPerHost: number[];
  heartbeatBytes: number;
  hostHeartbeatPeriodMs: number;
}

/** Times (ms) of each round on warm hosts, the controller's and the two direct ways, interleaved. */
export interface WarmRounds {
  controller: number[];
  allAtOnce: number[];
  oneAtATime: number[];
}

export interface FreshDirect {
  ms: number;
  traffic: ControlTally;
}

export interface AppsResults {
  shape: AppsShape;
  cold: ColdDeploy;
  idle: IdleMinute;
  warm: WarmRounds;
  freshOneAtATime: FreshDirect;
  freshAllAtOnce: FreshDirect;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function describeTally(tally: ControlTally): string {
  const names = [...tally.byName]
    .filter(([name]) => name !== 'ping_hosts')
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
  return `commands ${tally.command}, queries ${tally.query}, pings ${tally.ping}${names === '' ? '' : ` (${names})`}`;
}

const ms = (value: number) => `${Math.round(value)} ms`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const ratio = (ours: number, baseline: number) => (ours / baseline).toFixed(2);
const perMinute = (count: number, windowMs: number) => (count * 60_000) / windowMs;
const times = (values: readonly number[]) => values.map((value) => Math.round(value)).join(', ');

export function printAppsResults({
  shape,
  cold,
  idle,
  warm,
  freshOneAtATime,
  freshAllAtOnce,
}: AppsResults): void {
  const { actorCount, instancesPerActor, zones, totalInstances } = shape;
  console.log(
    `\napplication deploy: ${actorCount} distinct actors × spreadscaler of ${instancesPerActor} (spreads ${zones.join(', ')}, weight 1 each) over ${zones.length} host processes = ${totalInstances} instances`,
  );
  console.log(
    '  nats-server -js, node controller/main.ts; model.put + model.deploy through lattice/wadm-client.ts',
  );

  console.log(`first deploy, fresh hosts (started ${ms(cold.hostWarmupMs)} before), from model.put:`);
  console.log(`  put + deploy acknowledged          ${ms(cold.putAndDeployAckedMs)}`);
  console.log(
    `  first la / last la / first start   ${ms(cold.firstLaunchMs)} / ${ms(cold.lastLaunchMs)} / ${ms(cold.firstStartedMs)}`,
  );
  console.log(`  status "deployed" pushed           ${ms(cold.deployedMs)}`);
  console.log(
    `  ${totalInstances}th actor_started (in inventory)  ${ms(cold.allStartedMs)}  (inventories then: ${cold.perHostInventory.join(' + ')})`,
  );
  const coldMs = Math.max(cold.deployedMs, cold.allStartedMs);
  console.log(
    `  baseline on fresh hosts as warm:   one at a time ${ms(freshOneAtATime.ms)}, all at once ${ms(freshAllAtOnce.ms)}  → controller ÷ direct: ${ratio(coldMs, freshOneAtATime.ms)} / ${ratio(coldMs, freshAllAtOnce.ms)}`,
  );

  console.log(
    `redeploys on the same hosts after undeploy, ${warm.controller.length} rounds interleaved, median (rounds):`,
  );
  const controllerMedian = median(warm.controller);
  console.log(
    `  ${'controller: model.deploy → deployed, all started'.padEnd(52)}${ms(controllerMedian)}  (${times(warm.controller)})`,
  );
  console.log(
    `  ${`direct: all ${totalInstances} la at once`.padEnd(52)}${ms(median(warm.allAtOnce))}  (${times(warm.allAtOnce)})  controller ÷ direct: ${ratio(controllerMedian, median(warm.allAtOnce))}`,
  );
  console.log(
    `  ${'direct: one la at a time, each awaiting its start'.padEnd(52)}${ms(median(warm.oneAtATime))}  (${times(warm.oneAtATime)})  controller ÷ direct: ${ratio(controllerMedian, median(warm.oneAtATime))}`,
  );

  console.log('control messages on the wire (wasmbus.ctl.{lattice}.>) during the first deploy:');
  console.log(`  controller           ${describeTally(cold.traffic)}; instances asked by la: ${cold.asked}`);
  console.log(`  direct, one at a time ${describeTally(freshOneAtATime.traffic)}`);
  console.log(`  direct, all at once   ${describeTally(freshAllAtOnce.traffic)}`);
  console.log(`  controller CPU for the deploy: ${cold.cpuSeconds.toFixed(2)} s`);

  const window = idle.windowMs;
  const share = (seconds: number) => `${((seconds * 1000 * 100) / window).toFixed(2)}%`;
  console.log(
    `idle for ${(window / 1000).toFixed(0)} s after the first deploy (from ${ms(idle.settleMs)} after it), share of one core:`,
  );
  console.log(
    `  controller CPU      ${idle.controllerCpuSeconds.toFixed(2)} s = ${share(idle.controllerCpuSeconds)}; RSS ${mib(idle.rssAfterIdle)} (before the deploy ${mib(idle.rssBeforeDeploy)})`,
  );
  console.log(
    `  each host's CPU     ${idle.hostCpuSeconds.map((seconds) => `${seconds.toFixed(2)} s = ${share(seconds)}`).join(', ')}  (for scale)`,
  );
  console.log(
    `  controller per min  commands ${perMinute(idle.traffic.command, window).toFixed(1)}, queries ${perMinute(idle.traffic.query, window).toFixed(1)}, pings ${perMinute(idle.traffic.ping, window).toFixed(1)}  (${describeTally(idle.traffic)})`,
  );
  const heartbeatRates = idle.heartbeatsPerHost.map((count) => perMinute(count, window).toFixed(1));
  const perHostBytes = perMinute(idle.heartbeatsPerHost[0] ?? 0, window) * idle.heartbeatBytes;
  console.log(
    `  heartbeats per host per min ${heartbeatRates.join(', ')}  (a host's own period gives ${60_000 / idle.hostHeartbeatPeriodMs}); ${(idle.heartbeatBytes / 1024).toFixed(1)} KiB each → ${(perHostBytes / 1024).toFixed(0)} KiB/min per host`,
  );
  console.log(
    `undeploy (first): every instance stopped after ${ms(cold.undeployMs)}; ${describeTally(cold.undeployTraffic)}`,
  );
}
