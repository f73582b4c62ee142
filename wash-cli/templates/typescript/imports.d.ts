// Types of the wasmCloud contracts a TypeScript actor imports, as componentize-js maps them from
// the WIT in wit/deps: records are objects with camelCase fields, list<u8> is a Uint8Array,
// list<tuple<a, b>> an array of [a, b], a result's error is thrown. These modules exist only inside
// the component; `wash build` strips the `import type` lines and componentize-js resolves the rest.

declare module 'wasmcloud:builtin/logging@0.1.0' {
  /** level is "debug", "info", "warn" or "error". */
  export function writeLog(level: string, text: string): void;
}

declare module 'wasmcloud:builtin/numbergen@0.1.0' {
  export function generateGuid(): string;
  export function randomInRange(min: number, max: number): number;
  export function random32(): number;
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

declare module 'wasmcloud:keyvalue/key-value@0.1.0' {
  export interface GetResponse {
    value: string;
    exists: boolean;
  }
  export function get(key: string): GetResponse;
  export function set(key: string, value: string, expires: number): void;
  export function del(key: string): boolean;
  export function contains(key: string): boolean;
  /** Adds `value` to the number stored at `key` (0 if none) and returns the sum. */
  export function increment(key: string, value: number): number;
  export function listAdd(listName: string, value: string): number;
  export function listDel(listName: string, value: string): boolean;
  export function listClear(listName: string): boolean;
  export function listRange(listName: string, start: number, stop: number): string[];
  export function setAdd(setName: string, value: string): number;
  export function setDel(setName: string, value: string): number;
  export function setQuery(setName: string): string[];
  export function setUnion(keys: string[]): string[];
  export function setIntersection(keys: string[]): string[];
  export function setClear(setName: string): boolean;
}
