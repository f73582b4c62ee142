// Invocation encode+sign and decode+verify, beside raw node:crypto Ed25519 sign/verify of a
// token-sized input in the same run. The gap between the two is our own overhead (JSON,
// base64url, SHA-256, msgpack); the crypto itself is the floor.

import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { actorEntity, decodeInvocation, encodeInvocation, providerEntity } from '../lattice/invocation.ts';
import { InvocationSigner } from '../lattice/invocation-signer.ts';
import { validateInvocation } from '../lattice/invocation-validation.ts';
import { KeyPair } from '../lattice/keys.ts';
import { measure, printComparison } from './harness.ts';

export function runInvocationBench(): void {
  const cluster = KeyPair.create('cluster');
  const signer = new InvocationSigner(cluster, KeyPair.create('server').publicKey);
  const trusted = { clusterIssuers: new Set([cluster.publicKey]) };
  const request = {
    origin: providerEntity(KeyPair.create('service').publicKey, 'wasmcloud:httpserver', 'default'),
    target: actorEntity(KeyPair.create('module').publicKey),
    operation: 'HttpServer.HandleRequest',
    msg: new Uint8Array(64).fill(7), // a small HttpRequest
  };
  const encoded = encodeInvocation(signer.sign(request));
  const [header, payload] = decodeInvocation(encoded).encoded_claims.split('.');
  const signingInput = Buffer.from(`${header}.${payload}`); // what the JWT signature covers

  const raw = generateKeyPairSync('ed25519');
  const rawSignature = sign(null, signingInput, raw.privateKey);

  const rawSign = measure('raw Ed25519 sign', () => sign(null, signingInput, raw.privateKey));
  const rawVerify = measure('raw Ed25519 verify', () =>
    verify(null, signingInput, raw.publicKey, rawSignature),
  );
  const rawBoth = measure('raw sign + verify', () => {
    verify(null, signingInput, raw.publicKey, sign(null, signingInput, raw.privateKey));
  });
  const encodeSign = measure('encode + sign', () => encodeInvocation(signer.sign(request)));
  const decodeVerify = measure('decode + verify', () =>
    validateInvocation(decodeInvocation(encoded), trusted),
  );
  const roundTrip = measure('encode+sign+decode+verify', () =>
    validateInvocation(decodeInvocation(encodeInvocation(signer.sign(request))), trusted),
  );

  printComparison(`Invocation signing (token ${encoded.length} B on the wire, msg ${request.msg.length} B)`, [
    { ours: encodeSign, baseline: rawSign },
    { ours: decodeVerify, baseline: rawVerify },
    { ours: roundTrip, baseline: rawBoth },
  ]);
  const overhead = roundTrip.microseconds - rawBoth.microseconds;
  console.log(
    `one invocation, encode+sign+decode+verify: ${roundTrip.microseconds.toFixed(1)} µs ` +
      `(${(roundTrip.microseconds / 1000).toFixed(3)} ms; target < 0.2 ms); ` +
      `our overhead above raw Ed25519: ${overhead.toFixed(1)} µs`,
  );
}
