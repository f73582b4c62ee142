// Invocation and InvocationResponse: the msgpack envelopes of every RPC on the lattice
// (protocol.md §3.2), with the entity URLs and the hash that invocation tokens sign (§3.3).
// Field names and order are those of wasmbus-rpc 0.10 (snake_case, except `traceContext`).

import { createHash } from 'node:crypto';
import { decodeWith, type MsgpackReader, MsgpackWriter } from './msgpack.ts';

/** An actor (public_key only) or a provider (public_key, link_name, contract_id). */
export interface WasmCloudEntity {
  public_key: string;
  link_name: string;
  contract_id: string;
}

export interface Invocation {
  origin: WasmCloudEntity;
  target: WasmCloudEntity;
  operation: string;
  msg: Uint8Array;
  id: string;
  encoded_claims: string;
  host_id: string;
  /** The real size of `msg` when it travels through the object store (then `msg` is empty). */
  content_length?: number | bigint | undefined;
  traceContext?: Record<string, string> | undefined;
}

export interface InvocationResponse {
  msg: Uint8Array;
  invocation_id: string;
  error?: string | undefined;
  content_length?: number | bigint | undefined;
}

export function actorEntity(publicKey: string): WasmCloudEntity {
  return { public_key: publicKey, link_name: '', contract_id: '' };
}

export function providerEntity(publicKey: string, contractId: string, linkName: string): WasmCloudEntity {
  return { public_key: publicKey, link_name: linkName, contract_id: contractId };
}

/** True for an actor entity: the 2022 rule is "the key starts with M". */
export function isActorEntity(entity: WasmCloudEntity): boolean {
  return entity.public_key.toUpperCase().startsWith('M');
}

/** `wasmbus://M…` for an actor; `wasmbus://{contract with : → /}/{link}/{key}` for a provider. */
export function entityUrl(entity: WasmCloudEntity): string {
  if (isActorEntity(entity)) return `wasmbus://${entity.public_key}`;
  const contract = entity.contract_id.replaceAll(':', '/').replaceAll(' ', '_').toLowerCase();
  const link = entity.link_name.replaceAll(' ', '_').toLowerCase();
  return `wasmbus://${contract}/${link}/${entity.public_key}`;
}

/** The URL an invocation token names as its target: the entity's URL then `/{operation}`. */
export function targetUrl(target: WasmCloudEntity, operation: string): string {
  return `${entityUrl(target)}/${operation}`;
}

/** HEXUPPER(SHA-256(origin_url ‖ target_url ‖ operation ‖ msg)). */
export function invocationHash(
  originUrl: string,
  targetUrlText: string,
  operation: string,
  msg: Uint8Array,
): string {
  return createHash('sha256')
    .update(originUrl)
    .update(targetUrlText)
    .update(operation)
    .update(msg)
    .digest('hex')
    .toUpperCase();
}

// ---- encoding ----

function writeEntity(writer: MsgpackWriter, entity: WasmCloudEntity): void {
  writer.mapHeader(3).str('public_key').str(entity.public_key).str('link_name').str(entity.link_name);
  writer.str('contract_id').str(entity.contract_id);
}

export function encodeInvocation(invocation: Invocation): Uint8Array {
  const hasLength = invocation.content_length !== undefined;
  const hasTrace = invocation.traceContext !== undefined;
  const writer = new MsgpackWriter(invocation.msg.length + invocation.encoded_claims.length + 512);
  writer.mapHeader(7 + (hasLength ? 1 : 0) + (hasTrace ? 1 : 0));
  writer.str('origin');
  writeEntity(writer, invocation.origin);
  writer.str('target');
  writeEntity(writer, invocation.target);
  writer.str('operation').str(invocation.operation);
  writer.str('msg').bin(invocation.msg);
  writer.str('id').str(invocation.id);
  writer.str('encoded_claims').str(invocation.encoded_claims);
  writer.str('host_id').str(invocation.host_id);
  if (invocation.content_length !== undefined) writer.str('content_length').uint(invocation.content_length);
  if (invocation.traceContext !== undefined) writer.str('traceContext').stringMap(invocation.traceContext);
  return writer.finish();
}

export function encodeInvocationResponse(response: InvocationResponse): Uint8Array {
  const hasError = response.error !== undefined;
  const hasLength = response.content_length !== undefined;
  const writer = new MsgpackWriter(response.msg.length + 128);
  writer.mapHeader(2 + (hasError ? 1 : 0) + (hasLength ? 1 : 0));
  writer.str('msg').bin(response.msg);
  writer.str('invocation_id').str(response.invocation_id);
  if (response.error !== undefined) writer.str('error').str(response.error);
  if (response.content_length !== undefined) writer.str('content_length').uint(response.content_length);
  return writer.finish();
}

// ---- decoding (serde defaults: a missing field is empty; unknown fields are skipped) ----

function readEntity(reader: MsgpackReader): WasmCloudEntity {
  const entity = actorEntity('');
  const size = reader.mapHeader();
  for (let i = 0; i < size; i++) {
    const key = reader.str();
    if (key === 'public_key') entity.public_key = reader.str();
    else if (key === 'link_name') entity.link_name = reader.str();
    else if (key === 'contract_id') entity.contract_id = reader.str();
    else reader.value();
  }
  return entity;
}

const EMPTY = new Uint8Array(0);

/** Decodes an Invocation; `msg` is a view into `bytes`. Throws DecodeError on malformed input. */
export function decodeInvocation(bytes: Uint8Array): Invocation {
  return decodeWith(bytes, 'invocation', (reader) => {
    const invocation: Invocation = {
      origin: actorEntity(''),
      target: actorEntity(''),
      operation: '',
      msg: EMPTY,
      id: '',
      encoded_claims: '',
      host_id: '',
    };
    const size = reader.mapHeader();
    for (let i = 0; i < size; i++) {
      const key = reader.str();
      switch (key) {
        case 'origin':
          invocation.origin = readEntity(reader);
          break;
        case 'target':
          invocation.target = readEntity(reader);
          break;
        case 'operation':
          invocation.operation = reader.str();
          break;
        case 'msg':
          invocation.msg = reader.bytes();
          break;
        case 'id':
          invocation.id = reader.str();
          break;
        case 'encoded_claims':
          invocation.encoded_claims = reader.str();
          break;
        case 'host_id':
          invocation.host_id = reader.str();
          break;
        case 'content_length':
          invocation.content_length = reader.uintOrNil();
          break;
        case 'traceContext':
          invocation.traceContext = reader.stringMap();
          break;
        default:
          reader.value();
      }
    }
    return invocation;
  });
}

/** Decodes an InvocationResponse; accepts `msg` as bin or str (the Elixir host sends str). */
export function decodeInvocationResponse(bytes: Uint8Array): InvocationResponse {
  return decodeWith(bytes, 'invocation response', (reader) => {
    const response: InvocationResponse = { msg: EMPTY, invocation_id: '' };
    const size = reader.mapHeader();
    for (let i = 0; i < size; i++) {
      const key = reader.str();
      if (key === 'msg') response.msg = reader.bytes();
      else if (key === 'invocation_id') response.invocation_id = reader.str();
      else if (key === 'error') response.error = reader.strOrNil();
      else if (key === 'content_length') response.content_length = reader.uintOrNil();
      else reader.value(); // e.g. OTP's instance_id
    }
    return response;
  });
}

/** True when the payload travels through the object store: `content_length` exceeds the inline `msg`. */
export function isChunked(message: {
  msg: Uint8Array;
  content_length?: number | bigint | undefined;
}): boolean {
  return message.content_length !== undefined && BigInt(message.content_length) > BigInt(message.msg.length);
}
