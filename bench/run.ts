// `npm run bench`: every benchmark, each printing its figures beside a baseline from the same run.

import { runInvocationBench } from './invocation.bench.ts';

console.log(`node ${process.version}, ${process.arch}`);
runInvocationBench();
