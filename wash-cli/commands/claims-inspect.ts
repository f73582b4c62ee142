// Reads the claims of whatever file `wash claims inspect` is given — a core module, a
// component, a provider archive or a bare token — verifies them, and lays them out. A module or
// component whose bytes do not match the hash in its claims (2022 tokens included) is an error
// naming both hashes (CLAIMS_HASH_MISMATCH), so inspect exits 1 on it.

import { readFile } from 'node:fs/promises';
import {
  type ActorClaims,
  type ProviderClaims,
  verifyActorClaims,
  verifyProviderClaims,
  verifySignedWasm,
} from '../../lattice/claims.ts';
import { decodeAndVerifyJwt } from '../../lattice/jwt.ts';
import { readProviderArchive } from '../../lattice/provider-archive.ts';
import { WashError } from '../errors.ts';
import type { CommandResult } from '../output.ts';
import { table } from '../output.ts';

export type Inspected =
  | { kind: 'module' | 'component'; token: string; claims: ActorClaims; hash: string }
  | { kind: 'provider archive'; token: string; claims: ProviderClaims; targets: string[] }
  | { kind: 'token'; token: string; claims: ActorClaims | ProviderClaims };

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

function looksLikeArchive(bytes: Uint8Array): boolean {
  const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  const ustar = Buffer.from(bytes.subarray(257, 262)).toString('latin1') === 'ustar';
  return gzip || ustar;
}

function verifyBareToken(token: string): ActorClaims | ProviderClaims {
  const decoded = decodeAndVerifyJwt(token);
  const wascap = decoded.ok ? decoded.payload.wascap : undefined;
  const isProvider = typeof wascap === 'object' && wascap !== null && 'capid' in wascap;
  return isProvider ? verifyProviderClaims(token) : verifyActorClaims(token);
}

export async function inspectFile(file: string): Promise<Inspected> {
  const bytes = await readFile(file);
  if (bytes.length === 0) throw new WashError('WASH_BAD_FILE', `${file} is empty`);
  if (WASM_MAGIC.every((b, i) => bytes[i] === b)) return { ...verifySignedWasm(bytes) };
  if (looksLikeArchive(bytes)) {
    const archive = await readProviderArchive(bytes);
    return {
      kind: 'provider archive',
      token: archive.token,
      claims: archive.claims,
      targets: [...archive.targets.keys()],
    };
  }
  const text = bytes.toString('utf8').trim();
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(text)) {
    return { kind: 'token', token: text, claims: verifyBareToken(text) };
  }
  throw new WashError(
    'WASH_BAD_FILE',
    `${file} is not a WebAssembly module or component, a provider archive, or a claims token`,
  );
}

const FRIENDLY_CAPS: Record<string, string> = {
  'wasmcloud:httpserver': 'HTTP Server',
  'wasmcloud:httpclient': 'HTTP Client',
  'wasmcloud:keyvalue': 'K/V Store',
  'wasmcloud:messaging': 'Messaging',
  'wasmcloud:blobstore': 'Blob Store',
  'wasmcloud:eventstreams': 'Event Streams',
  'wasmcloud:builtin:logging': 'Logging',
  'wasmcloud:builtin:numbergen': 'Number Generator',
};

function friendlyCap(cap: string): string {
  const friendly = FRIENDLY_CAPS[cap];
  return friendly ? `${friendly} (${cap})` : cap;
}

function describeTime(seconds: number | undefined, none: string): string {
  return seconds === undefined ? none : new Date(seconds * 1000).toISOString();
}

function isProviderClaims(claims: ActorClaims | ProviderClaims): claims is ProviderClaims {
  return 'capid' in claims.wascap;
}

function hashLine(inspected: Inspected): string | undefined {
  if (inspected.kind !== 'module' && inspected.kind !== 'component') return undefined;
  return `${inspected.hash} (matches the ${inspected.kind})`;
}

/** Text and JSON views of verified claims, in wash 0.1x's layout. */
export function describeClaims(inspected: Inspected): CommandResult {
  const { claims } = inspected;
  const common = {
    kind: inspected.kind,
    valid: true,
    account: claims.iss,
    expires: describeTime(claims.exp, 'never'),
    can_be_used: describeTime(claims.nbf, 'immediately'),
    issued_at: describeTime(claims.iat, 'unknown'),
  };
  if (isProviderClaims(claims)) {
    const targets =
      inspected.kind === 'provider archive' ? inspected.targets : Object.keys(claims.wascap.target_hashes);
    const meta = claims.wascap;
    const rows: [string, string][] = [
      ['Account', claims.iss],
      ['Service', claims.sub],
      ['Capability Contract ID', meta.capid],
      ['Vendor', meta.vendor],
      ['Version', `${meta.ver ?? 'None'} (${meta.rev ?? 0})`],
      ['Expires', common.expires],
      ['Can Be Used', common.can_be_used],
      ['Targets', targets.join(', ') || 'None'],
    ];
    return {
      json: {
        ...common,
        service: claims.sub,
        name: meta.name ?? '',
        capability_contract_id: meta.capid,
        vendor: meta.vendor,
        version: meta.ver ?? '',
        revision: meta.rev ?? 0,
        targets,
        target_hashes: meta.target_hashes,
      },
      text: `${meta.name ?? 'Unnamed'} - Provider\n${table(rows)}\n\nVerified: signature, validity period${inspected.kind === 'provider archive' ? ' and every target hash' : ''}.`,
    };
  }
  const meta = claims.wascap;
  const rows: [string, string][] = [
    ['Account', claims.iss],
    ['Module', claims.sub],
    ['Expires', common.expires],
    ['Can Be Used', common.can_be_used],
    ['Version', `${meta.ver ?? 'None'} (${meta.rev ?? 0})`],
    ['Call Alias', meta.call_alias ?? '(Not set)'],
  ];
  const hash = hashLine(inspected);
  rows.push(['Hash', hash ?? `${meta.hash} (recorded; no module bytes to compare)`]);
  const caps = meta.caps ?? [];
  const tags = meta.tags ?? [];
  const verified =
    inspected.kind === 'token'
      ? 'signature and validity period'
      : 'signature, validity period and module hash';
  return {
    json: {
      ...common,
      module: claims.sub,
      name: meta.name ?? '',
      version: meta.ver ?? '',
      revision: meta.rev ?? 0,
      call_alias: meta.call_alias ?? '',
      capabilities: caps,
      tags,
      hash: meta.hash,
      // Kept for scripts: true once the bytes were compared (a mismatch is an error), null for a token.
      hash_matches: inspected.kind === 'token' ? null : true,
    },
    text: [
      `${meta.name ?? 'Unnamed'} - ${inspected.kind === 'component' ? 'Component' : 'Module'}`,
      table(rows),
      '',
      'Capabilities',
      caps.length > 0 ? caps.map((c) => `  ${friendlyCap(c)}`).join('\n') : '  None',
      'Tags',
      tags.length > 0 ? tags.map((t) => `  ${t}`).join('\n') : '  None',
      '',
      `Verified: ${verified}.`,
    ].join('\n'),
  };
}
