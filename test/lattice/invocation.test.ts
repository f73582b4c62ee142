import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../lattice/errors.ts';
import {
  actorEntity,
  decodeInvocation,
  decodeInvocationResponse,
  encodeInvocation,
  encodeInvocationResponse,
  entityUrl,
  type Invocation,
  invocationHash,
  isChunked,
  providerEntity,
  targetUrl,
} from '../../lattice/invocation.ts';
import { ACTOR, PROVIDER } from '../helpers/keys.ts';

// An independent msgpack codec, to check our bytes decode elsewhere and to build odd inputs.
const msgpackr = new Packr({ useRecords: false, mapsAsObjects: true });

function fixstr(text: string): number[] {
  const bytes = [...Buffer.from(text)];
  return bytes.length < 32 ? [0xa0 | bytes.length, ...bytes] : [0xd9, bytes.length, ...bytes];
}

describe('entity URLs and the invocation hash', () => {
  it('builds actor and provider URLs as wasmbus-rpc does', () => {
    expect(entityUrl(actorEntity(ACTOR))).toBe(`wasmbus://${ACTOR}`);
    expect(entityUrl(providerEntity(PROVIDER, 'wasmcloud:messaging', 'default'))).toBe(
      `wasmbus://wasmcloud/messaging/default/${PROVIDER}`,
    );
    expect(entityUrl(providerEntity(PROVIDER, 'Cosmonic:Kubernetes Applier', 'My Link'))).toBe(
      `wasmbus://cosmonic/kubernetes_applier/my_link/${PROVIDER}`,
    );
    // The example of protocol.md §3.3.
    expect(targetUrl(providerEntity('Vxxx', 'wasmcloud:messaging', 'default'), 'OP_TESTING')).toBe(
      'wasmbus://wasmcloud/messaging/default/Vxxx/OP_TESTING',
    );
  });

  it('hashes origin ‖ target ‖ operation ‖ msg as upper hex SHA-256', () => {
    // sha256("ab" + "cd" + "ef" + "gh"), computed once with sha256sum.
    expect(invocationHash('ab', 'cd', 'ef', Buffer.from('gh'))).toBe(
      '9C56CC51B374C3BA189210D5B6D4BF57790D351C96C47C02190ECF1E430635AB',
    );
  });
});

describe('Invocation msgpack', () => {
  const invocation: Invocation = {
    origin: providerEntity(PROVIDER, 'wasmcloud:httpserver', 'default'),
    target: actorEntity(ACTOR),
    operation: 'HttpServer.HandleRequest',
    msg: Uint8Array.from([1, 2, 3]),
    id: 'id-1',
    encoded_claims: 'jwt',
    host_id: 'N1',
  };

  it('writes the 2022 field names in wasmbus-rpc order, msg as bin, byte for byte', () => {
    const entity = (key: string, link: string, contract: string) => [
      0x83,
      ...fixstr('public_key'),
      ...fixstr(key),
      ...fixstr('link_name'),
      ...fixstr(link),
      ...fixstr('contract_id'),
      ...fixstr(contract),
    ];
    const expected = [
      0x87,
      ...fixstr('origin'),
      ...entity(PROVIDER, 'default', 'wasmcloud:httpserver'),
      ...fixstr('target'),
      ...entity(ACTOR, '', ''),
      ...fixstr('operation'),
      ...fixstr('HttpServer.HandleRequest'),
      ...fixstr('msg'),
      0xc4,
      3,
      1,
      2,
      3,
      ...fixstr('id'),
      ...fixstr('id-1'),
      ...fixstr('encoded_claims'),
      ...fixstr('jwt'),
      ...fixstr('host_id'),
      ...fixstr('N1'),
    ];
    expect([...encodeInvocation(invocation)]).toEqual(expected);
  });

  it('adds content_length (minimal uint) and traceContext only when set', () => {
    const bytes = encodeInvocation({
      ...invocation,
      content_length: 70_000,
      traceContext: { traceparent: 'x' },
    });
    const tail = [
      ...fixstr('content_length'),
      0xce,
      0x00,
      0x01,
      0x11,
      0x70,
      ...fixstr('traceContext'),
      0x81,
      ...fixstr('traceparent'),
      ...fixstr('x'),
    ];
    expect([...bytes.subarray(bytes.length - tail.length)]).toEqual(tail);
    expect(bytes[0]).toBe(0x89);
    const big = decodeInvocation(encodeInvocation({ ...invocation, content_length: 2n ** 60n }));
    expect(big.content_length).toBe(2n ** 60n);
  });

  it('round-trips, and decodes with an independent codec', () => {
    const decoded = decodeInvocation(encodeInvocation(invocation));
    expect({ ...decoded, msg: [...decoded.msg] }).toEqual({ ...invocation, msg: [1, 2, 3] });
    const theirs = msgpackr.unpack(encodeInvocation(invocation)) as Record<string, unknown>;
    expect(theirs.operation).toBe('HttpServer.HandleRequest');
    expect([...(theirs.msg as Uint8Array)]).toEqual([1, 2, 3]);
  });

  it('reads msg sent as a msgpack str as raw bytes (the Elixir host does this)', () => {
    const raw = Buffer.from([0xff, 0xfe, 0x00, 0x41]); // not valid UTF-8
    const strMsg = Buffer.concat([Buffer.from([0xa4]), raw]);
    const encoded = Buffer.concat([
      Buffer.from([0x82, ...fixstr('msg')]),
      strMsg,
      Buffer.from([...fixstr('invocation_id'), ...fixstr('r1')]),
    ]);
    const response = decodeInvocationResponse(encoded);
    expect([...response.msg]).toEqual([...raw]);
    expect(response.invocation_id).toBe('r1');
  });

  it('fills serde defaults for missing fields and skips unknown ones', () => {
    const decoded = decodeInvocation(
      msgpackr.pack({ operation: 'Op', extra: { nested: [1, 2] }, msg: Buffer.from('x') }),
    );
    expect(decoded.operation).toBe('Op');
    expect(decoded.id).toBe('');
    expect(decoded.origin).toEqual(actorEntity(''));
    expect(Buffer.from(decoded.msg).toString()).toBe('x');
  });

  it('refuses malformed bytes with a DecodeError that names the problem', () => {
    const good = encodeInvocation(invocation);
    expect(() => decodeInvocation(good.subarray(0, good.length - 2))).toThrow(
      /invalid invocation: msgpack is truncated/,
    );
    expect(() => decodeInvocation(msgpackr.pack([1, 2]))).toThrow(
      /expected a map at offset 0, found an array/,
    );
    expect(() => decodeInvocation(msgpackr.pack({ operation: 7 }))).toThrow(/expected a string/);
    expect(() => decodeInvocation(msgpackr.pack({ msg: 7 }))).toThrow(/expected bytes/);
    expect(() => decodeInvocation(msgpackr.pack({ content_length: -1 }))).toThrow(/unsigned integer/);
    expect(() => decodeInvocation(new Uint8Array(0))).toThrow(DecodeError);
    expect(() => decodeInvocation(Buffer.concat([good, Buffer.from([0])]))).toThrow(/bytes after the end/);
    expect(() => decodeInvocation(Uint8Array.from([0xc1]))).toThrow(
      /expected a map at offset 0, found marker 0xc1/,
    );
    expect(() => decodeInvocation(Uint8Array.from([0x81, ...fixstr('x'), 0xc1]))).toThrow(
      /invalid msgpack marker 0xc1/,
    );
    const deep = Buffer.concat([
      Buffer.from([0x81, ...fixstr('x')]),
      Buffer.alloc(100, 0x91),
      Buffer.from([0]),
    ]);
    expect(() => decodeInvocation(deep)).toThrow(/deeper than 64/);
  });
});

describe('InvocationResponse msgpack', () => {
  it('writes msg, invocation_id and only the optional fields that are set', () => {
    expect([...encodeInvocationResponse({ msg: Uint8Array.from([9]), invocation_id: 'i' })]).toEqual([
      0x82,
      ...fixstr('msg'),
      0xc4,
      1,
      9,
      ...fixstr('invocation_id'),
      ...fixstr('i'),
    ]);
    const withError = decodeInvocationResponse(
      encodeInvocationResponse({
        msg: new Uint8Array(0),
        invocation_id: 'i',
        error: 'boom',
        content_length: 0,
      }),
    );
    expect(withError).toMatchObject({ invocation_id: 'i', error: 'boom', content_length: 0 });
  });

  it('treats a nil error as no error, and skips OTP extra fields', () => {
    const response = decodeInvocationResponse(
      msgpackr.pack({ msg: Buffer.from('ok'), invocation_id: 'i', error: null, instance_id: 'u' }),
    );
    expect(response.error).toBeUndefined();
    expect(Buffer.from(response.msg).toString()).toBe('ok');
  });

  it('knows when a payload is chunked', () => {
    expect(isChunked({ msg: new Uint8Array(0), content_length: 800_000 })).toBe(true);
    expect(isChunked({ msg: new Uint8Array(3), content_length: 3 })).toBe(false);
    expect(isChunked({ msg: new Uint8Array(3) })).toBe(false);
  });
});
