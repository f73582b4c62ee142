// Application status from scaler statuses (wadm.md §3: an application is as well as its worst
// scaler), and the board that keeps the last status of each application so listeners hear only of
// changes, not of every reconcile pass.

import {
  type AppStatus,
  type ScalerStatus,
  type StatusInfo,
  type StatusType,
  worstStatus,
} from '../../lattice/wadm-api.ts';

/**
 * The application's status: the worst scaler's type, and the messages of the scalers in that state
 * (`echo: starting 3 of 6 instances`). `extra` is a status of the application's own (taking down
 * what an older version started), counted like a scaler's.
 */
export function appStatus(scalers: readonly ScalerStatus[], extra?: StatusInfo): AppStatus {
  const entries: { name: string; status: StatusInfo }[] = [...scalers];
  if (extra !== undefined) entries.push({ name: '', status: extra });
  const type: StatusType = worstStatus(entries.map((entry) => entry.status.type));
  const message =
    type === 'deployed'
      ? ''
      : entries
          .filter((entry) => entry.status.type === type)
          .map((entry) =>
            entry.name === '' ? entry.status.message : `${entry.name}: ${entry.status.message}`,
          )
          .join('; ');
  return { status: { type, message }, scalers: scalers.map((scaler) => ({ ...scaler })) };
}

export class StatusBoard {
  readonly #statuses = new Map<string, { status: AppStatus; text: string }>();

  get(appName: string): AppStatus | undefined {
    return this.#statuses.get(appName)?.status;
  }

  /** Records the status; true when it differs from the one recorded before. */
  set(appName: string, status: AppStatus): boolean {
    const text = JSON.stringify(status);
    if (this.#statuses.get(appName)?.text === text) return false;
    this.#statuses.set(appName, { status, text });
    return true;
  }

  delete(appName: string): void {
    this.#statuses.delete(appName);
  }

  names(): string[] {
    return [...this.#statuses.keys()];
  }
}
