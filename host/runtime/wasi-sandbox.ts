// A deliberately small WASI 0.2 for components: clocks and random work; stdout and stderr go
// to the host log tagged with the actor's key; there is no filesystem (no preopens), no
// environment, no arguments, no sockets and no outgoing HTTP. Written here rather than taken
// from preview2-shim, which gives a component the host's real files, environment and network.

import { randomBytes, randomFillSync } from 'node:crypto';
import { HostError } from '../errors.ts';
import type { ActorLogLevel } from './types.ts';

/** The WASI interfaces this sandbox provides (jco's glue asks for them without versions). */
export const WASI_INTERFACES = [
  'wasi:cli/environment',
  'wasi:cli/exit',
  'wasi:cli/stdin',
  'wasi:cli/stdout',
  'wasi:cli/stderr',
  'wasi:cli/terminal-input',
  'wasi:cli/terminal-output',
  'wasi:cli/terminal-stdin',
  'wasi:cli/terminal-stdout',
  'wasi:cli/terminal-stderr',
  'wasi:clocks/monotonic-clock',
  'wasi:clocks/wall-clock',
  'wasi:random/random',
  'wasi:random/insecure',
  'wasi:random/insecure-seed',
  'wasi:io/error',
  'wasi:io/poll',
  'wasi:io/streams',
  'wasi:filesystem/types',
  'wasi:filesystem/preopens',
  'wasi:sockets/network',
  'wasi:sockets/instance-network',
  'wasi:sockets/tcp-create-socket',
  'wasi:sockets/udp-create-socket',
  'wasi:sockets/tcp',
  'wasi:sockets/udp',
  'wasi:sockets/ip-name-lookup',
] as const;

class IoError {
  readonly #message: string;
  constructor(message: string) {
    this.#message = message;
  }
  toDebugString(): string {
    return this.#message;
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Ready at a monotonic instant (ns); `block` sleeps the worker until then. */
class Pollable {
  readonly #readyAt: bigint;
  constructor(readyAt = 0n) {
    this.#readyAt = readyAt;
  }
  ready(): boolean {
    return process.hrtime.bigint() >= this.#readyAt;
  }
  block(): void {
    const waitMs = Number(this.#readyAt - process.hrtime.bigint()) / 1e6;
    if (waitMs > 0) Atomics.wait(sleeper, 0, 0, waitMs);
  }
}

const CLOSED = { tag: 'closed' } as const;

class InputStream {
  read(): never {
    throw CLOSED;
  }
  blockingRead(): never {
    throw CLOSED;
  }
  skip(): never {
    throw CLOSED;
  }
  blockingSkip(): never {
    throw CLOSED;
  }
  subscribe(): Pollable {
    return new Pollable();
  }
}

/** Collects bytes into lines and hands each finished line to `emit`. */
class OutputStream {
  readonly #emit: (line: string) => void;
  #pending = '';
  constructor(emit: (line: string) => void) {
    this.#emit = emit;
  }
  checkWrite(): bigint {
    return 1_048_576n;
  }
  write(bytes: Uint8Array): void {
    const lines = (this.#pending + Buffer.from(bytes).toString('utf8')).split('\n');
    this.#pending = lines.pop() ?? '';
    for (const line of lines) this.#emit(line);
  }
  blockingWriteAndFlush(bytes: Uint8Array): void {
    this.write(bytes);
  }
  flush(): void {}
  blockingFlush(): void {
    if (this.#pending) this.#emit(this.#pending);
    this.#pending = '';
  }
  writeZeroes(): void {}
  blockingWriteZeroesAndFlush(): void {}
  splice(): never {
    throw CLOSED;
  }
  blockingSplice(): never {
    throw CLOSED;
  }
  subscribe(): Pollable {
    return new Pollable();
  }
}

class Descriptor {}
class DirectoryEntryStream {}
class Network {}
class TcpSocket {}
class UdpSocket {}
class IncomingDatagramStream {}
class OutgoingDatagramStream {}
class ResolveAddressStream {}
class TerminalInput {}
class TerminalOutput {}

/** WASI's way to say no: the `access-denied` error code of filesystem and sockets. */
const ACCESS_DENIED = 'access-denied';

function denied(): never {
  throw ACCESS_DENIED;
}

function randomU64(): bigint {
  return randomBytes(8).readBigUInt64LE();
}

/** The WASI imports for one actor; `log` receives its stdout (info) and stderr (warn) lines. */
export function wasiImports(log: (level: ActorLogLevel, text: string) => void): Record<string, object> {
  const stdout = new OutputStream((line) => log('info', line));
  const stderr = new OutputStream((line) => log('warn', line));
  const stdin = new InputStream();
  const random = {
    getRandomBytes: (length: bigint) => randomFillSync(new Uint8Array(Number(length))),
    getRandomU64: randomU64,
  };
  return {
    'wasi:cli/environment': { getEnvironment: () => [], getArguments: () => [], initialCwd: () => undefined },
    'wasi:cli/exit': {
      exit: (status: { tag: string }) => {
        throw new HostError('ACTOR_EXITED', `the actor called exit (${status.tag})`);
      },
    },
    'wasi:cli/stdin': { getStdin: () => stdin },
    'wasi:cli/stdout': { getStdout: () => stdout },
    'wasi:cli/stderr': { getStderr: () => stderr },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
    'wasi:clocks/monotonic-clock': {
      now: () => process.hrtime.bigint(),
      resolution: () => 1n,
      subscribeInstant: (when: bigint) => new Pollable(when),
      subscribeDuration: (duration: bigint) => new Pollable(process.hrtime.bigint() + duration),
    },
    'wasi:clocks/wall-clock': {
      now: () => {
        const ms = Date.now();
        return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
      },
      resolution: () => ({ seconds: 0n, nanoseconds: 1_000_000 }),
    },
    'wasi:random/random': random,
    'wasi:random/insecure': {
      getInsecureRandomBytes: random.getRandomBytes,
      getInsecureRandomU64: randomU64,
    },
    'wasi:random/insecure-seed': { insecureSeed: () => [randomU64(), randomU64()] },
    'wasi:io/error': { Error: IoError },
    'wasi:io/poll': {
      Pollable,
      poll: (pollables: Pollable[]) => {
        while (!pollables.some((p) => p.ready())) pollables[0]?.block();
        return Uint32Array.from(pollables.flatMap((p, i) => (p.ready() ? [i] : [])));
      },
    },
    'wasi:io/streams': { InputStream, OutputStream },
    'wasi:filesystem/types': { Descriptor, DirectoryEntryStream, filesystemErrorCode: () => undefined },
    'wasi:filesystem/preopens': { getDirectories: () => [] },
    'wasi:sockets/network': { Network },
    'wasi:sockets/instance-network': { instanceNetwork: () => new Network() },
    'wasi:sockets/tcp-create-socket': { createTcpSocket: denied },
    'wasi:sockets/udp-create-socket': { createUdpSocket: denied },
    'wasi:sockets/tcp': { TcpSocket },
    'wasi:sockets/udp': { UdpSocket, IncomingDatagramStream, OutgoingDatagramStream },
    'wasi:sockets/ip-name-lookup': { ResolveAddressStream, resolveAddresses: denied },
  };
}
