// The words a call refused for a missing capability claim is told in, and the way to find them
// again in an error text that has crossed the lattice. The 2022 InvocationResponse carries errors
// as text only, so a provider (the HTTP server) recognises the refusal by these words, wherever the
// actor or the host put them in its error, and can name the missing claim to its own client.

/** The actor key and contract a refusal names. */
export interface MissingCapability {
  actorId: string;
  contract: string;
}

/** How both refusals say it: the actor's call out (host runtime) and a provider's call in (§3.3 step 7). */
export function missingCapabilityText(actorId: string, contract: string): string {
  return `actor ${actorId} is missing capability claim for ${contract}`;
}

// A contract ID is a few words joined by ':' (wasmcloud:keyvalue, wasmcloud:builtin:logging); only
// such characters are taken, so what is found is safe to show anywhere.
const REFUSAL = /actor (M[A-Z2-7]{55}) is missing capability claim for ([A-Za-z0-9][A-Za-z0-9_.:-]{0,127})/;

/** The refusal an error text tells of, if it does. */
export function findMissingCapability(text: string): MissingCapability | undefined {
  const match = REFUSAL.exec(text);
  if (match === null) return undefined;
  // A sentence may end right after the contract ("… for wasmcloud:keyvalue.").
  const contract = match[2]!.replace(/[.:-]+$/, '');
  return contract.includes(':') ? { actorId: match[1]!, contract } : undefined;
}
