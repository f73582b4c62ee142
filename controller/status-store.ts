// The leader's view of each deployed application, kept where every replica can read it (the
// `wadm_status` bucket, key `{lattice}.{name}`): only the leader's reconciler knows how far the
// lattice is from the manifests, yet any replica may answer `model.status` or `model.list`. A
// record names the version it is about, so a status left over from an earlier deployment is never
// shown as the current one; a deployed version without a record is "waiting" for the leader, not
// an invented "deployed".

import { errorMessage } from '../lattice/errors.ts';
import { encodeJsonMessage, parseJsonMessage } from '../lattice/json-message.ts';
import type { KV } from '../lattice/nats.ts';
import type { AppStatus } from '../lattice/wadm-api.ts';
import { ControllerStoreError } from './kv-buckets.ts';
import { type AppIndex, storedStatusSchema } from './store-records.ts';

export const UNDEPLOYED_STATUS: AppStatus = { status: { type: 'undeployed', message: '' }, scalers: [] };

export class StatusStore {
  readonly #kv: KV;
  readonly #lattice: string;

  constructor(kv: KV, latticePrefix: string) {
    this.#kv = kv;
    this.#lattice = latticePrefix;
  }

  #key(name: string): string {
    return `${this.#lattice}.${name}`;
  }

  /** The leader records the status of the version it is running. */
  async write(name: string, version: string, status: AppStatus, reportedBy: string): Promise<void> {
    const record = { version, status, reported_by: reportedBy, updated_at: new Date().toISOString() };
    await this.#kv.put(this.#key(name), encodeJsonMessage(record));
  }

  /** The application is no longer deployed (or gone): its last status goes with it. */
  async remove(name: string): Promise<void> {
    await this.#kv.delete(this.#key(name));
  }

  /** The status to show for an application, from its index and the leader's record. */
  async statusOf(index: AppIndex): Promise<AppStatus> {
    const deployed = index.deployed_version;
    if (deployed === null) return UNDEPLOYED_STATUS;
    let entry: Awaited<ReturnType<KV['get']>>;
    try {
      entry = await this.#kv.get(this.#key(index.name));
    } catch (error) {
      throw new ControllerStoreError(
        'CONTROLLER_STORE_UNAVAILABLE',
        `the status store could not read application ${index.name}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    const record =
      entry !== null && entry.operation === 'PUT'
        ? parseJsonMessage(storedStatusSchema, entry.value)
        : undefined;
    if (record?.ok && record.value.version === deployed) return record.value.status;
    const why =
      record !== undefined && !record.ok ? ` (the stored status is unreadable: ${record.error})` : '';
    return {
      status: {
        type: 'waiting',
        message: `version ${deployed} is deployed; waiting for the leading controller to report on it${why}`,
      },
      scalers: [],
    };
  }
}
