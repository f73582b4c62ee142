// The providers' catalogue of error codes (lattice/errors.ts explains the model): every code the
// SDK, the providers of providers/ and their packaging throw, with what it means; docs/errors.md
// lists them. Every error class of providers/ extends ProviderError. A provider error that wraps a
// lattice error may carry that error's code (HOST_DATA_INVALID of bad start-up data). An actor sees
// a failed operation as the error text of its call; the code is for logs, tests and programs.

import {
  type ErrorCatalogue,
  errorCode,
  isCataloguedCode,
  LATTICE_ERROR_CODES,
  LatticeError,
  type LatticeErrorCode,
} from '../../lattice/errors.ts';

export const PROVIDER_ERROR_CODES = {
  // every provider (sdk/)
  HOST_DATA_TOO_LARGE: 'Start-up data on stdin larger than a HostData line can be.',
  HOST_DATA_UNREADABLE: 'Start-up data that could not be read from stdin.',
  PROVIDER_CONNECT_FAILED: 'The provider could not connect to the lattice with the HostData it was given.',
  PROVIDER_UNKNOWN_OPERATION: 'An invocation of an operation the provider does not handle.',
  PROVIDER_BAD_REQUEST: "An operation's payload that does not have the shape its contract says.",
  PROVIDER_OPERATION_FAILED:
    'An operation that failed for a reason without a code of its own (the message says which).',
  ACTOR_NOT_LINKED: 'A call to an actor that has no link to this provider.',
  NO_INVOCATION_SEED: 'A call to an actor while the host sent no invocation seed to sign it with.',
  ACTOR_UNREACHABLE: 'A call to an actor that no host is running.',
  ACTOR_CALL_TIMEOUT: 'A call to an actor that got no answer within its timeout.',
  ACTOR_ERROR: 'The actor answered the call with an error (as the host reports it: ACTOR_TRAP, …).',
  ACTOR_REPLY_INVALID: 'An actor reply the provider cannot decode.',
  ACTOR_CALL_FAILED: 'A call to an actor that failed for another reason (the message says which).',
  // packaging (packaging/)
  BUNDLE_FAILED: 'esbuild could not bundle the provider entry.',
  BUNDLE_NOT_ONE_FILE: 'The bundle came out as other than one file.',
  BUNDLE_NOT_SELF_CONTAINED: 'The bundle still imports something other than a node: built-in.',
  PACKAGING_BAD_ARGUMENT: 'A missing or invalid argument to providers/packaging/cli.ts.',
  PACKAGING_BAD_SEED: 'An issuer or subject that is not a seed of the kind an archive is signed with.',
  // keyvalue/
  KEYVALUE_NOT_LINKED: 'A call from an actor whose bucket is not open (its link is still being checked).',
  // messaging/
  MESSAGING_NOT_LINKED: 'A call from an actor without a NATS connection (its link is still being checked).',
  // kubernetes-applier/
  KUBECONFIG_INVALID: 'Link values that do not give a usable kubeconfig (the link is refused).',
  KUBERNETES_UNREACHABLE: 'The API server cannot be used with the kubeconfig (the link is refused).',
  KUBERNETES_KIND_NOT_SERVED: 'An object of a kind or API version the API server does not serve.',
  KUBERNETES_BAD_REQUEST: "An operation's payload that is not what the contract says.",
  KUBERNETES_NOT_LINKED:
    'A call from an actor without a Kubernetes connection (its link is still being checked).',
} as const satisfies ErrorCatalogue;

export type ProviderErrorCode = keyof typeof PROVIDER_ERROR_CODES;

/** The base of every provider error: a provider code, or the lattice code of the error it wraps. */
export class ProviderError extends LatticeError<ProviderErrorCode | LatticeErrorCode> {}

/** `error`'s code when a provider or lattice code, else `fallback`: for an error that wraps another. */
export function providerCodeOf(
  error: unknown,
  fallback: ProviderErrorCode | LatticeErrorCode,
): ProviderErrorCode | LatticeErrorCode {
  const code = errorCode(error);
  return isCataloguedCode(code, PROVIDER_ERROR_CODES, LATTICE_ERROR_CODES) ? code : fallback;
}
