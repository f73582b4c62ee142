// `npm run bench`: every benchmark, each printing its figures beside a baseline from the same
// run. `npm run bench -- invocation` (or runtime, lattice, http, flood, runaway, apps, coldstart, ramp, scale,
// idle-cost, wash-startup, dev-loop) runs one; idle-cost is the scale bench's first section alone.

import { runAppsBench } from './apps.bench.ts';
import { runColdStartBench } from './coldstart.bench.ts';
import { runDevLoopBench } from './dev-loop.bench.ts';
import { runHttpBench } from './http.bench.ts';
import { runIdleCostBench } from './idle-cost.ts';
import { runInvocationBench } from './invocation.bench.ts';
import { runLatticeBench } from './lattice.bench.ts';
import { runMalformedFloodBench } from './malformed-flood.bench.ts';
import { runRampBench } from './ramp.bench.ts';
import { runRunawayBench } from './runaway.bench.ts';
import { runRuntimeBench } from './runtime.bench.ts';
import { runScaleBench } from './scale.bench.ts';
import { runDashboardScaleBench } from './scale-dashboard.ts';
import { runFanOutBench } from './scale-fanout.ts';
import { runWashStartupBench } from './wash-startup.bench.ts';

const benches: Record<string, () => void | Promise<void>> = {
  apps: runAppsBench,
  coldstart: runColdStartBench,
  'dev-loop': runDevLoopBench,
  http: runHttpBench,
  'idle-cost': runIdleCostBench,
  invocation: runInvocationBench,
  lattice: runLatticeBench,
  flood: runMalformedFloodBench,
  ramp: runRampBench,
  runtime: runRuntimeBench,
  runaway: runRunawayBench,
  // One host at scale, then a lattice of several hosts sharing many links.
  scale: async () => {
    await runScaleBench();
    await runFanOutBench();
    await runDashboardScaleBench();
  },
  'wash-startup': runWashStartupBench,
};

const only = process.argv.slice(2);
const unknown = only.filter((name) => !(name in benches));
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(', ')} (have: ${Object.keys(benches).join(', ')})`);
  process.exit(2);
}
console.log(`node ${process.version}, ${process.arch}`);
for (const [name, run] of Object.entries(benches)) if (only.length === 0 || only.includes(name)) await run();
