// The environment variables the application controller (controller/main.ts) reads: wash's
// connection variables (docs/apps.md). The compose and chart tests check that they set nothing else.
export const CONTROLLER_VARIABLES: ReadonlySet<string> = new Set([
  'WASMCLOUD_CTL_HOST',
  'WASMCLOUD_CTL_PORT',
  'WASMCLOUD_CTL_JWT',
  'WASMCLOUD_CTL_SEED',
  'WASMCLOUD_CTL_CREDSFILE',
  'WASMCLOUD_CTL_TLS',
  'WASMCLOUD_TLS_CA_FILE',
  'WASMCLOUD_LATTICE_PREFIX',
  'WASMCLOUD_JS_DOMAIN',
]);
