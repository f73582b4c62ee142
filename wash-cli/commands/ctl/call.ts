// `wash ctl call <actor-id> <operation> [payload]`: invoke an actor operation over NATS as a
// lattice peer would (protocol.md §3): a msgpack Invocation signed with a cluster seed the hosts
// trust, sent to `wasmbus.rpc.{lattice}.{actor}`. The payload is JSON, msgpack-encoded (so
// `{"method":"GET"}` becomes a map; a JSON string stands in for bytes); --raw and --data send bytes
// as they are. The reply is shown decoded from msgpack, else as text, else as hex.

import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ChunkStore } from '../../../lattice/chunking.ts';
import { errorMessage } from '../../../lattice/errors.ts';
import { actorEntity } from '../../../lattice/invocation.ts';
import { InvocationSigner } from '../../../lattice/invocation-signer.ts';
import { KeyPair } from '../../../lattice/keys.ts';
import { decodePayload, encodePayload } from '../../../lattice/payload.ts';
import { latticeSubjects } from '../../../lattice/subjects.ts';
import { addConnectionOptions, type ConnectionFlags, withControlClient } from '../../connection-options.ts';
import { WashError } from '../../errors.ts';
import { type CommandResult, runAction } from '../../output.ts';
import { withSpinner } from '../../spinner.ts';
import { clusterSeedPath, savedClusterKey } from '../../up-state.ts';
import { publicKeyArgument } from './arguments.ts';

interface CallFlags extends ConnectionFlags {
  clusterSeed?: string;
  raw?: string;
  data?: string;
}

/** The flag, then WASMCLOUD_CLUSTER_SEED, then the seed `wash up` saved. */
function clusterKey(flags: CallFlags): KeyPair {
  const given = flags.clusterSeed ?? process.env.WASMCLOUD_CLUSTER_SEED;
  if (given !== undefined && given !== '') {
    const source = flags.clusterSeed !== undefined ? '--cluster-seed' : 'WASMCLOUD_CLUSTER_SEED';
    try {
      return KeyPair.fromSeed(given, 'cluster');
    } catch (error) {
      throw new WashError('WASH_BAD_SEED', `${source} is not a cluster seed (SC…): ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
  const saved = savedClusterKey();
  if (saved) return saved;
  throw new WashError(
    'WASH_NO_SEED',
    `no cluster seed to sign the call with: pass --cluster-seed or set WASMCLOUD_CLUSTER_SEED (wash up saves one in ${clusterSeedPath()})`,
  );
}

async function requestBytes(payload: string | undefined, flags: CallFlags): Promise<Uint8Array> {
  const given = [payload !== undefined, flags.raw !== undefined, flags.data !== undefined].filter(Boolean);
  if (given.length > 1)
    throw new WashError(
      'WASH_BAD_ARGUMENT',
      'give the payload one way only: as JSON, with --raw, or with --data',
    );
  if (flags.raw !== undefined) return new TextEncoder().encode(flags.raw);
  if (flags.data !== undefined) {
    try {
      return await readFile(flags.data);
    } catch (error) {
      throw new WashError(
        'WASH_FILE_UNREADABLE',
        `cannot read --data file ${flags.data}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }
  if (payload === undefined) return new Uint8Array(0);
  try {
    return encodePayload(JSON.parse(payload));
  } catch (error) {
    throw new WashError(
      'WASH_BAD_ARGUMENT',
      `the payload is not valid JSON (use --raw to send text): ${errorMessage(error)}`,
      { cause: error },
    );
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A decoded msgpack value as JSON: bytes become text when they are UTF-8, else a list of numbers. */
function toJsonValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return utf8OrUndefined(value) ?? [...value];
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value instanceof Map)
    return Object.fromEntries([...value].map(([k, v]) => [String(k), toJsonValue(v)]));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]));
  return value ?? null;
}

interface ShownReply {
  encoding: 'empty' | 'msgpack' | 'utf8' | 'hex';
  result: unknown;
  text: string;
}

function showReply(bytes: Uint8Array): ShownReply {
  if (bytes.length === 0) return { encoding: 'empty', result: null, text: '(empty reply)' };
  let decoded: unknown;
  try {
    decoded = decodePayload(bytes, 'reply');
  } catch {
    const text = utf8OrUndefined(bytes);
    if (text !== undefined) return { encoding: 'utf8', result: text, text };
    const hex = Buffer.from(bytes).toString('hex');
    return { encoding: 'hex', result: hex, text: hex };
  }
  const result = toJsonValue(decoded);
  return { encoding: 'msgpack', result, text: JSON.stringify(result, null, 2) };
}

async function call(
  actorText: string,
  operation: string,
  payload: string | undefined,
  flags: CallFlags,
): Promise<CommandResult> {
  const actorId = publicKeyArgument('actor', actorText);
  if (operation.trim() === '')
    throw new WashError('WASH_BAD_ARGUMENT', 'the operation is empty (e.g. HttpServer.HandleRequest)');
  const signingKey = clusterKey(flags);
  const msg = await requestBytes(payload, flags);
  // Loaded here, not at the top: rpc.ts brings the tracing SDK, which no other ctl command needs.
  const { RpcRemoteError, RpcTransportError, sendInvocation } = await import('../../../lattice/rpc.ts');
  return withControlClient(flags, async (_client, connection, nc) => {
    const subjects = latticeSubjects(connection.latticePrefix);
    // wash calls as an actor of its own (actor-to-actor calls need no capability claim).
    const signer = new InvocationSigner(signingKey, KeyPair.create('server').publicKey);
    const origin = actorEntity(KeyPair.create('module').publicKey);
    const invocation = signer.sign({ origin, target: actorEntity(actorId), operation, msg });
    let reply: Uint8Array;
    try {
      reply = await withSpinner(`Calling ${operation} on ${actorId}`, () =>
        sendInvocation(nc, subjects.rpc.actor(actorId), invocation, {
          timeoutMs: connection.timeoutMs,
          chunks: new ChunkStore(nc, subjects),
        }),
      );
    } catch (error) {
      if (error instanceof RpcRemoteError)
        throw new WashError(
          'WASH_CALL_FAILED',
          `actor ${actorId} answered ${operation} with an error: ${error.message}`,
          { cause: error },
        );
      if (error instanceof RpcTransportError && error.code === 'RPC_NO_RESPONDERS')
        throw new WashError(
          'WASH_ACTOR_NOT_RUNNING',
          `actor ${actorId} is not running in lattice "${connection.latticePrefix}" (nobody serves ${subjects.rpc.actor(actorId)})`,
          { cause: error },
        );
      throw error;
    }
    const shown = showReply(reply);
    return { json: { result: shown.result, encoding: shown.encoding }, text: shown.text };
  });
}

export function registerCallCommand(ctl: Command): void {
  addConnectionOptions(
    ctl
      .command('call')
      .description(
        'invoke an actor operation through the lattice, signed with the cluster seed (--cluster-seed, WASMCLOUD_CLUSTER_SEED, or the one wash up saved)',
      )
      .argument('<actor-id>', 'the actor (M…)')
      .argument('<operation>', 'the operation, e.g. HttpServer.HandleRequest')
      .argument('[payload]', 'JSON, sent msgpack-encoded (a JSON string stands in for bytes)')
      .option('--cluster-seed <seed>', 'cluster seed (SC…) the hosts trust')
      .option('--raw <text>', 'send this text as the payload bytes, not msgpack')
      .option('--data <file>', "send this file's bytes as the payload")
      .addHelpText(
        'after',
        `
Example (the echo actor):
  wash ctl call M… HttpServer.HandleRequest '{"method":"GET","path":"/hi","queryString":"","header":{},"body":"hello"}'`,
      )
      .action(
        async (
          actor: string,
          operation: string,
          payload: string | undefined,
          flags: CallFlags,
          command: Command,
        ) => runAction(command, () => call(actor, operation, payload, flags)),
      ),
  );
}
