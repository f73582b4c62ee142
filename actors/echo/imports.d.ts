// Types of the WIT interfaces the echo actor uses, as componentize-js/jco map them: records
// are objects with camelCase fields, list<u8> is a Uint8Array, list<tuple<a, b>> an array of
// [a, b]. These modules exist only inside the component (world.wit); the build strips the
// `import type` lines and componentize-js resolves the value imports.

declare module 'wasmcloud:builtin/logging@0.1.0' {
  /** Logging.WriteLog; level is "debug", "info", "warn" or "error". */
  export function writeLog(level: string, text: string): void;
}

declare module 'wasmcloud:httpserver/types@0.1.0' {
  /** Header names with their values. */
  export type HeaderMap = [string, string[]][];

  export interface HttpRequest {
    method: string;
    path: string;
    queryString: string;
    header: HeaderMap;
    body: Uint8Array;
  }

  export interface HttpResponse {
    statusCode: number;
    header: HeaderMap;
    body: Uint8Array;
  }
}
