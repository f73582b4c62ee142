// The cosmonic:kubernetes_applier contract on the wire (protocol.md §7.3, §13), as the
// service-applier actor and the 2022 interface send it:
//   KubernetesApplier.Apply   msgpack bin: one Kubernetes object as YAML or JSON text
//   KubernetesApplier.Delete  msgpack map DeleteRequest {group, version, kind, name, namespace?}
// Both answer OperationResponse {succeeded, error?}. A payload that is not what the contract says
// is a ContractError (the invocation's error); a failure at the API server is succeeded: false.

import type { KubernetesObject } from '@kubernetes/client-node/dist/types.js';
import { loadYaml } from '@kubernetes/client-node/dist/yaml.js';
import { loadAll as parseYamlDocuments } from 'js-yaml';
import { z } from 'zod';
import { errorMessage } from '../../lattice/errors.ts';
import { ProviderError } from '../sdk/errors.ts';
import { decodePayload, encodePayload } from '../sdk/mod.ts';

export const APPLY_OPERATION = 'KubernetesApplier.Apply';
export const DELETE_OPERATION = 'KubernetesApplier.Delete';

/** The payload of an operation is not what the contract says. */
export class ContractError extends ProviderError {
  constructor(message: string, options?: ErrorOptions) {
    super('KUBERNETES_BAD_REQUEST', message, options);
  }
}

export interface OperationResponse {
  succeeded: boolean;
  /** Absent on success (the 2022 encoders leave optional members out). */
  error?: string | undefined;
}

export function encodeOperationResponse(response: OperationResponse): Uint8Array {
  return encodePayload(response);
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

const deleteRequestSchema = z.object({
  /** "" for the core group. */
  group: z.string(),
  version: z.string().min(1, 'must not be empty'),
  kind: z.string().min(1, 'must not be empty'),
  name: z.string().min(1, 'must not be empty'),
  /** Absent or nil: the namespace of the link's kubeconfig context. */
  namespace: z
    .string()
    .nullish()
    .transform((namespace) => namespace || undefined),
});

export type DeleteRequest = z.output<typeof deleteRequestSchema>;

export function parseDeleteRequest(payload: Uint8Array): DeleteRequest {
  const decoded = decodePayload(payload, `${DELETE_OPERATION} request`);
  const parsed = deleteRequestSchema.safeParse(decoded);
  if (!parsed.success) {
    throw new ContractError(
      `invalid ${DELETE_OPERATION} request (DeleteRequest {group, version, kind, name, namespace?}): ${describeIssues(parsed.error)}`,
    );
  }
  return parsed.data;
}

const objectIdentitySchema = z.looseObject({
  apiVersion: z.string('expected a string').min(1, 'must not be empty'),
  kind: z.string('expected a string').min(1, 'must not be empty'),
  metadata: z.looseObject(
    {
      name: z.string('the object has no name').min(1, 'must not be empty'),
      namespace: z.string('expected a string').optional(),
    },
    'expected a map',
  ),
});

/** An object to apply: the library's typed form, and who it is. */
export interface ApplyObject {
  object: KubernetesObject;
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string | undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseApplyPayload(payload: Uint8Array): ApplyObject {
  const decoded = decodePayload(payload, `${APPLY_OPERATION} payload`);
  // A blob is msgpack bin; the Elixir host has been seen to send str.
  let text: string;
  if (decoded instanceof Uint8Array) {
    try {
      text = utf8.decode(decoded);
    } catch {
      throw new ContractError(`${APPLY_OPERATION}: the object is not UTF-8 text`);
    }
  } else if (typeof decoded === 'string') {
    text = decoded;
  } else {
    throw new ContractError(`${APPLY_OPERATION}: expected the object as bytes (YAML or JSON text)`);
  }
  let documents: unknown[];
  try {
    documents = parseYamlDocuments(text);
  } catch (error) {
    throw new ContractError(`${APPLY_OPERATION}: the object is not YAML or JSON: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  if (documents.length !== 1) {
    throw new ContractError(
      `${APPLY_OPERATION} takes exactly one object; the payload holds ${documents.length} documents`,
    );
  }
  const identity = objectIdentitySchema.safeParse(documents[0]);
  if (!identity.success) {
    throw new ContractError(`${APPLY_OPERATION}: not a Kubernetes object: ${describeIssues(identity.error)}`);
  }
  const { apiVersion, kind, metadata } = identity.data;
  // The typed form, so the library writes every field back under its wire name.
  const object = loadYaml<KubernetesObject>(text);
  return { object, apiVersion, kind, name: metadata.name, namespace: metadata.namespace || undefined };
}
