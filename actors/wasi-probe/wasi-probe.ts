// wasi-probe: exercises the host's WASI sandbox from JavaScript. `probe` writes one line to
// stdout and one to stderr and answers what the clocks and random gave, as JSON.

export const handler = {
  handle(operation: string, _payload: Uint8Array): Uint8Array {
    if (operation !== 'probe') throw `wasi-probe: unknown operation ${operation}`;
    console.log('probe says hello on stdout');
    console.error('probe says hello on stderr');
    const answer = { now: Date.now(), random: Math.random(), monotonic: performance.now() };
    return new TextEncoder().encode(JSON.stringify(answer));
  },
};
