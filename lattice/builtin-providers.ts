// Built-in providers: `wasmcloud+builtin://NAME` as a provider_ref starts the provider inside the
// host rather than as a process. To the lattice it is a provider like any other, so it needs a
// provider key (V…) and claims, and one link definition must serve every host of the lattice that
// runs it: the key is the same on every host that shares the cluster seed, derived from it.
//
//   provider seed = HKDF-SHA256(ikm = the cluster seed's raw 32 bytes, salt = none,
//                               info = "wasmcloud-ts builtin provider NAME") → 32 bytes → SV… seed
//   claims issuer = the same with info "wasmcloud-ts builtin provider issuer" → SA… (an account
//                   key, since claims are issued by accounts)
//
// Hosts started without WASMCLOUD_CLUSTER_SEED generate a cluster seed each, and then derive
// different keys: give every host of the lattice the same seed.

import { hkdfSync } from 'node:crypto';
import { type ProviderClaims, signProviderClaims, verifyProviderClaims } from './claims.ts';
import { LatticeError, type LatticeErrorCode } from './errors.ts';
import { decodeSeed, encodeSeed, KeyPair } from './keys.ts';

export const BUILTIN_SCHEME = 'wasmcloud+builtin://';

export interface BuiltinProviderInfo {
  /** The name after the scheme: `wasmcloud+builtin://{name}`. */
  name: string;
  contractId: string;
  /** The claims' name, as inventories and the dashboard show it. */
  title: string;
  /** False: reserved, refused with BUILTIN_NOT_BUILT_IN until it exists. */
  available: boolean;
}

/** Every built-in provider name, in the order the dashboard lists them. */
export const BUILTIN_PROVIDERS: readonly BuiltinProviderInfo[] = [
  {
    name: 'httpserver',
    contractId: 'wasmcloud:httpserver',
    title: 'HTTP Server (built-in)',
    available: true,
  },
  { name: 'keyvalue', contractId: 'wasmcloud:keyvalue', title: 'KeyValue (built-in)', available: true },
  { name: 'messaging', contractId: 'wasmcloud:messaging', title: 'Messaging (built-in)', available: true },
];

/** A `wasmcloud+builtin://…` reference this host cannot start. */
export class BuiltinProviderError extends LatticeError<LatticeErrorCode> {}

export function isBuiltinRef(ref: string): boolean {
  return ref.startsWith(BUILTIN_SCHEME);
}

export function builtinRef(name: string): string {
  return `${BUILTIN_SCHEME}${name}`;
}

/** The built-in a reference names; throws BuiltinProviderError for unknown or not-yet-built ones. */
export function resolveBuiltinRef(ref: string): BuiltinProviderInfo {
  const name = ref.slice(BUILTIN_SCHEME.length);
  const info = BUILTIN_PROVIDERS.find((candidate) => candidate.name === name);
  const known = BUILTIN_PROVIDERS.map((candidate) => builtinRef(candidate.name)).join(', ');
  if (info === undefined)
    throw new BuiltinProviderError(
      'BUILTIN_UNKNOWN',
      `${JSON.stringify(ref.slice(0, 120))} names no built-in provider; there are ${known}`,
    );
  if (!info.available)
    throw new BuiltinProviderError(
      'BUILTIN_NOT_BUILT_IN',
      `${builtinRef(name)} is not yet built in; start the ${name} provider archive instead (providers/build/${name}.par.gz)`,
    );
  return info;
}

function derive(clusterSeed: string, info: string): Uint8Array {
  const { raw } = decodeSeed(clusterSeed, 'cluster');
  return new Uint8Array(hkdfSync('sha256', raw, new Uint8Array(0), info, 32));
}

/** The provider key (V…) of a built-in on every host of the lattice that shares `clusterSeed`. */
export function builtinProviderKey(clusterSeed: string, name: string): KeyPair {
  return KeyPair.fromSeed(
    encodeSeed('service', derive(clusterSeed, `wasmcloud-ts builtin provider ${name}`)),
    'service',
  );
}

/** The account key (A…) that issues the built-ins' claims, also derived from the cluster seed. */
export function builtinIssuerKey(clusterSeed: string): KeyPair {
  return KeyPair.fromSeed(
    encodeSeed('account', derive(clusterSeed, 'wasmcloud-ts builtin provider issuer')),
    'account',
  );
}

/** Signed (and verified) claims of a built-in: its key, contract, title; no binaries. */
export function builtinProviderClaims(clusterSeed: string, info: BuiltinProviderInfo): ProviderClaims {
  const token = signProviderClaims(
    {
      name: info.title,
      capid: info.contractId,
      vendor: 'wasmcloud-ts',
      rev: 1,
      ver: '0.1.0',
      target_hashes: {},
    },
    { issuer: builtinIssuerKey(clusterSeed), subject: builtinProviderKey(clusterSeed, info.name) },
  );
  return verifyProviderClaims(token);
}
