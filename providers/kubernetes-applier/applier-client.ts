// One actor's connection to its Kubernetes API server: client-node's generic object API with a
// per-request timeout, the check made at link time, and the two operations as the cosmonic
// applier did them: Apply creates the object, or, when it exists, server-side applies it with
// field manager `kubernetes-applier-provider`; Delete succeeds when the object is gone already.

import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { RequestContext, ResponseContext } from '@kubernetes/client-node/dist/gen/http/http.js';
import { of } from '@kubernetes/client-node/dist/gen/rxjsStub.js';
import { KubernetesObjectApi } from '@kubernetes/client-node/dist/object.js';
import { PatchStrategy } from '@kubernetes/client-node/dist/patch.js';
import { ProviderError } from '../sdk/errors.ts';
import { describeApiError, httpStatusOf } from './api-error.ts';
import type { ApplyObject, DeleteRequest, OperationResponse } from './contract.ts';
import type { LoadedKubeConfig } from './kubeconfig-source.ts';

export const FIELD_MANAGER = 'kubernetes-applier-provider';

/** The API server cannot be used with this kubeconfig (the link is refused). */
export class KubernetesConnectError extends ProviderError {
  constructor(message: string, options?: ErrorOptions) {
    super('KUBERNETES_UNREACHABLE', message, options);
  }
}

/** The API server does not serve a kind: a failure of the operation, not of the connection. */
class UnservedKindError extends ProviderError {
  constructor(message: string, options?: ErrorOptions) {
    super('KUBERNETES_KIND_NOT_SERVED', message, options);
  }
}

const SUCCEEDED: OperationResponse = { succeeded: true };

export class ApplierClient extends KubernetesObjectApi {
  #server = '';
  #timeoutMs = 0;

  /** A client for the kubeconfig's current context; nothing is sent yet. */
  static create(loaded: LoadedKubeConfig, timeoutMs: number): ApplierClient {
    const kubeConfig: KubeConfig = loaded.kubeConfig;
    const client = kubeConfig.makeApiClient(ApplierClient);
    client.setDefaultNamespace(kubeConfig);
    client.#server = loaded.server;
    client.#timeoutMs = timeoutMs;
    // Each request gets its own deadline: an unreachable server must not hold a link or a call.
    client.configuration.middleware.push({
      pre: (context: RequestContext) => {
        context.setSignal(AbortSignal.timeout(timeoutMs));
        return of(context);
      },
      post: (context: ResponseContext) => of(context),
    });
    return client;
  }

  get server(): string {
    return this.#server;
  }

  /** The namespace used when an object or DeleteRequest names none. */
  get namespace(): string {
    return this.defaultNamespace;
  }

  #describe(error: unknown): string {
    return describeApiError(error, this.#server, this.#timeoutMs);
  }

  /**
   * Checks that the server answers and accepts the credentials: core API discovery, which needs
   * an authenticated user (unlike /version). Throws a KubernetesConnectError.
   */
  async verify(): Promise<void> {
    try {
      await this.resource('v1', 'Service');
    } catch (error) {
      const status = httpStatusOf(error);
      throw new KubernetesConnectError(
        status === undefined
          ? this.#describe(error)
          : `the Kubernetes API server at ${this.#server} refused the client: ${this.#describe(error)}`,
      );
    }
  }

  /** Whether `kind` in `apiVersion` is namespaced; throws UnservedKindError when it is not served. */
  async #namespaced(apiVersion: string, kind: string): Promise<boolean> {
    const resource = await this.resource(apiVersion, kind).catch((error: unknown) => {
      if (httpStatusOf(error) === 404)
        throw new UnservedKindError(`the API server does not serve ${apiVersion}`);
      throw error;
    });
    if (resource === undefined)
      throw new UnservedKindError(`the API server has no kind ${kind} in ${apiVersion}`);
    return resource.namespaced;
  }

  /** "Service default/web" or "Namespace apps". */
  #label(kind: string, name: string, namespace: string | undefined, namespaced: boolean): string {
    return namespaced ? `${kind} ${namespace ?? this.defaultNamespace}/${name}` : `${kind} ${name}`;
  }

  #failure(what: string, error: unknown): OperationResponse {
    return { succeeded: false, error: `cannot ${what}: ${this.#describe(error)}` };
  }

  async applyObject(target: ApplyObject): Promise<OperationResponse> {
    const { object, apiVersion, kind, name, namespace } = target;
    let namespaced: boolean;
    try {
      namespaced = await this.#namespaced(apiVersion, kind);
    } catch (error) {
      return this.#failure(`apply ${kind} ${name}`, error);
    }
    const label = this.#label(kind, name, namespace, namespaced);
    let exists: boolean;
    try {
      await this.read({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } });
      exists = true;
    } catch (error) {
      if (httpStatusOf(error) !== 404) return this.#failure(`read ${label}`, error);
      exists = false;
    }
    if (!exists) {
      try {
        await this.create(object, undefined, undefined, FIELD_MANAGER);
        return SUCCEEDED;
      } catch (error) {
        // Created by someone else since the read: apply over it instead.
        if (httpStatusOf(error) !== 409) return this.#failure(`create ${label}`, error);
      }
    }
    try {
      await this.patch(object, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.ServerSideApply);
      return SUCCEEDED;
    } catch (error) {
      return this.#failure(`apply ${label}`, error);
    }
  }

  async deleteObject(request: DeleteRequest): Promise<OperationResponse> {
    const { group, version, kind, name, namespace } = request;
    const apiVersion = group === '' ? version : `${group}/${version}`;
    let namespaced: boolean;
    try {
      namespaced = await this.#namespaced(apiVersion, kind);
    } catch (error) {
      return this.#failure(`delete ${kind} ${name}`, error);
    }
    const label = this.#label(kind, name, namespace, namespaced);
    try {
      await this.delete({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } });
      return SUCCEEDED;
    } catch (error) {
      // Already gone is what was asked for: Delete is idempotent.
      if (httpStatusOf(error) === 404) return SUCCEEDED;
      return this.#failure(`delete ${label}`, error);
    }
  }
}
