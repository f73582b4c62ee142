// Types of the WIT interfaces the service-applier actor uses, as componentize-js/jco map
// them: records are objects with camelCase fields, list<u8> is a Uint8Array, option<T> is
// T | undefined. An imported function's result<T, string> returns T or throws (an Error whose
// message is the err string); an export returns its ok value or throws a string for err.
// These modules exist only inside the component (world.wit): the build strips the
// `import type` lines and componentize-js resolves the value imports.

declare module 'wasmcloud:builtin/logging@0.1.0' {
  /** Logging.WriteLog; level is "debug", "info", "warn" or "error". */
  export function writeLog(level: string, text: string): void;
}

declare module 'cosmonic:kubernetes-applier/applier@0.1.0' {
  export interface OperationResponse {
    succeeded: boolean;
    error?: string | undefined;
  }

  /** KubernetesApplier.Apply: a YAML or JSON object. */
  export function apply(object: Uint8Array): OperationResponse;

  /** KubernetesApplier.Delete; an undefined namespace is the applier's default. */
  function deleteObject(
    group: string,
    version: string,
    kind: string,
    name: string,
    namespace: string | undefined,
  ): OperationResponse;

  // `delete` is a reserved word: import it as `{ delete as deleteObject }`.
  export { deleteObject as delete };
}

declare module 'wasmcloud:messaging/types@0.1.0' {
  /** SubMessage: a message delivered from a subscribed subject. */
  export interface Message {
    subject: string;
    replyTo?: string | undefined;
    body: Uint8Array;
  }
}
