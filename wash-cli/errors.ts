// wash's catalogue of error codes (lattice/errors.ts explains the model): every code a wash command
// fails with, with what it means; docs/errors.md lists them. `wash … -o json` prints a failure as
// {"success": false, "error": …, "code": …} (output.ts), so scripts can tell failures apart
// without matching the message. A failure the lattice library reports (a host's refusal, an OCI
// error, nobody answering) keeps its lattice code.

import { type ErrorCatalogue, LatticeError, type LatticeErrorCode } from '../lattice/errors.ts';

export const WASH_ERROR_CODES = {
  WASH_BAD_ARGUMENT: 'An argument, flag or variable wash cannot use; the message names it and what it takes.',
  WASH_BAD_SEED: 'A seed (given, or in a key file) that is not a seed of the kind needed.',
  WASH_NO_SEED: 'No seed was given and none is found where wash looks for one.',
  WASH_FILE_NOT_FOUND: 'A file named on the command line does not exist.',
  WASH_FILE_UNREADABLE: 'A file named on the command line cannot be read.',
  WASH_FILE_UNWRITABLE: 'The file to write cannot be written.',
  WASH_BAD_FILE:
    'A file that is not what the command needs (empty, a directory, neither an actor nor a provider archive).',
  WASH_NO_HOST: 'No host offered to run what was asked (the auction had no bid).',
  WASH_START_FAILED: 'A host tried to start the actor or provider and failed; the message has its reason.',
  WASH_ACTOR_NOT_RUNNING: 'The actor called is not running in the lattice.',
  WASH_CALL_FAILED: 'The actor called answered with an error; the message has its text.',
  WASH_UP_RUNNING: 'wash up is already running in the background.',
  WASH_BAD_STATE_FILE: "wash up's state file cannot be read or is not one.",
  WASH_NATS_SERVER_MISSING: 'nats-server is not on PATH.',
  WASH_NATS_SERVER_FAILED: 'The nats-server wash up started did not start, or exited.',
  WASH_NATS_UNREACHABLE: 'The NATS server cannot be reached.',
  WASH_HOST_EXITED: 'The host wash up started exited.',
  WASH_HOST_NOT_READY: 'The host wash up started did not answer within the start-up timeout.',
  WASH_INTERRUPTED: 'Ctrl-C before what wash was waiting for happened.',
  WASH_CONTROLLER_EXITED: 'The application controller wash up started exited before it answered.',
  WASH_CONTROLLER_NOT_READY:
    'The application controller wash up started did not answer within the start-up timeout.',
  WASH_APP_REFUSED:
    "The application controller refused a wash app request (a manifest problem, a store failure); the message is the controller's.",
  WASH_APP_NOT_FOUND:
    'wash app named an application, or a version of one, that the controller does not store.',
  WASH_NO_PROJECT: 'wash build or wash dev ran in a folder without a wasmcloud.toml.',
  WASH_BAD_PROJECT: "The project's wasmcloud.toml is not valid TOML or misses a field; the message names it.",
  WASH_PROJECT_EXISTS: 'wash new was asked to create a project in a folder that already exists.',
  WASH_NOT_A_CHECKOUT:
    "wash new ran from wash's npm package (a project's own wash), which has no templates: run it from a wasmcloud-ts checkout.",
  WASH_UNKNOWN_TEMPLATE: 'wash new was given a template it does not have; the message lists them.',
  WASH_BUILD_FAILED:
    "A project's build failed: the compiler's own error (file and line) follows; nothing was signed.",
  WASH_SNAPSHOT_UNSUPPORTED:
    "wash dev's in-process pre-initialization met a module it does not handle; the build falls back to componentize-js's own steps (never shown unless that fails too).",
  WASH_TOOLCHAIN_MISSING:
    'A compiler a build needs (clang-14, wasm-ld) is not installed; the message says which package.',
  WASH_DEV_FAILED:
    'wash dev could not start the actor or provider, or put its links; the message has the reason.',
} as const satisfies ErrorCatalogue;

export type WashErrorCode = keyof typeof WASH_ERROR_CODES;

/** A failure the user can act on; its message is printed as is, its code with `-o json`. */
export class WashError extends LatticeError<WashErrorCode | LatticeErrorCode> {}
