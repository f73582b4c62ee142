// The 2022 contracts this lattice knows (protocol.md §7, §13; docs/actors.md), so a manifest that
// names a package under a known namespace that does not exist (`wasmcloud:httpserve`) is told so.
// Like wadm, such a link is accepted with a warning: custom contracts are expected, typos are not.

/** Contracts served by our providers or the host, and the other first-party 2022 interfaces. */
export const KNOWN_CONTRACTS: readonly string[] = [
  'wasmcloud:httpserver',
  'wasmcloud:httpclient',
  'wasmcloud:keyvalue',
  'wasmcloud:messaging',
  'wasmcloud:blobstore',
  'wasmcloud:sqldb',
  'wasmcloud:builtin:logging',
  'wasmcloud:builtin:numbergen',
  'cosmonic:kubernetes_applier',
];

/** Served inside every host (protocol.md §13): no provider runs them and no link reaches them. */
const BUILTIN_CONTRACTS: ReadonlySet<string> = new Set([
  'wasmcloud:builtin:logging',
  'wasmcloud:builtin:numbergen',
]);

/** WIT namespaces of the component model; a 2022 lattice has no contract by those names. */
const WIT_ONLY_NAMESPACES: ReadonlySet<string> = new Set(['wasi', 'wrpc']);

function namespaceOf(contract: string): string {
  const colon = contract.indexOf(':');
  return colon < 0 ? contract : contract.slice(0, colon);
}

const KNOWN_BY_NAMESPACE = new Map<string, string[]>();
for (const contract of KNOWN_CONTRACTS) {
  const namespace = namespaceOf(contract);
  KNOWN_BY_NAMESPACE.set(namespace, [...(KNOWN_BY_NAMESPACE.get(namespace) ?? []), contract]);
}

/** What a person should hear about a contract a manifest names, or undefined when nothing. */
export function contractWarning(contract: string): string | undefined {
  if (BUILTIN_CONTRACTS.has(contract))
    return `${contract} is served inside every host: it needs no provider and no link`;
  const namespace = namespaceOf(contract);
  const known = KNOWN_BY_NAMESPACE.get(namespace);
  if (known && !known.includes(contract))
    return `unrecognized contract ${contract} (known under ${namespace}: ${known.join(', ')})`;
  if (WIT_ONLY_NAMESPACES.has(namespace))
    return `${contract} is a WIT interface with no 2022 contract: no 2022 provider serves it (2022 contracts are e.g. wasmcloud:httpserver)`;
  return undefined;
}
