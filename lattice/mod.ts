// The lattice library's public API: everything the host, providers and wash need to speak the
// wasmCloud 0.5x/0.6x protocol. Import from here rather than from the files behind it.

export * from './chunking.ts';
export * from './claims.ts';
export * from './control.ts';
export * from './control-client.ts';
export * from './control-outcomes.ts';
export * from './display-text.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './host-data.ts';
export * from './invocation.ts';
export * from './invocation-signer.ts';
export * from './invocation-validation.ts';
export * from './json-message.ts';
export * from './jwt.ts';
export * from './key-files.ts';
export * from './keys.ts';
export * from './link-definition.ts';
export * from './log.ts';
export * from './msgpack.ts';
export * from './nats.ts';
export * from './oci/mod.ts';
export * from './provider-archive.ts';
export * from './replay-guard.ts';
export * from './rpc.ts';
export * from './subjects.ts';
export * from './wasm.ts';
