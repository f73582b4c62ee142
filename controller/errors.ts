// The application controller's catalogue of error codes (lattice/errors.ts explains the model):
// every code the controller throws or logs, with what it means; docs/errors.md lists them. Every
// error class of controller/ extends ControllerError. The wadm API's error replies keep wadm's
// shape (`{"result": "error", "message": …}`, lattice/wadm-api.ts), so these codes show in the
// controller's log lines (` code=…`), not on the wire.

import { type ErrorCatalogue, LatticeError } from '../lattice/errors.ts';

export const CONTROLLER_ERROR_CODES = {
  // settings (config.ts, leadership.ts)
  CONTROLLER_CONFIG_INVALID:
    'A WASMCLOUD_* variable or flag with a value the controller cannot use; the message names each.',
  CONTROLLER_LEASE_TIMINGS_INVALID:
    'Leadership lease timings that leave no time to renew the lease before it runs out.',
  // the KV buckets (kv-buckets.ts, store.ts, status-store.ts)
  CONTROLLER_BUCKET_UNAVAILABLE: 'A JetStream KV bucket could not be opened (is JetStream enabled?).',
  CONTROLLER_STORE_UNAVAILABLE: 'The manifest or status store could not be read or written.',
  CONTROLLER_RECORD_UNREADABLE:
    'A record in the manifest store that is not of the shape the controller writes.',
  CONTROLLER_STORE_CONTENDED:
    'An application changed under a request too many times in a row (other writers); try again.',
  CONTROLLER_WATCH_ENDED: 'The watch of the manifest store ended: the leader no longer sees changes.',
  // the process (main.ts)
  CONTROLLER_NATS_CLOSED: 'The NATS connection closed for good while the controller was running; it exits 1.',
} as const satisfies ErrorCatalogue;

export type ControllerErrorCode = keyof typeof CONTROLLER_ERROR_CODES;

/** The base of every controller error. */
export class ControllerError extends LatticeError<ControllerErrorCode> {}
