// The marks the reconciler leaves on what it starts, and how it reads them back. Every actor
// instance and provider it starts carries `wasmcloud.dev/managed-by=wadm`, `wasmcloud.dev/appspec`
// (the application) and `wasmcloud.dev/scaler` (the scaler's id); a spreadscaler's actors also
// carry `wasmcloud.dev/spread_name` (wadm's name). Counting and stopping look only at instances
// with these marks, so what someone started by hand is never counted or stopped.
//
// A scaler's id is a hash of what its instances *are* (kind, application, component, image, and
// for a provider its link name and config), not of how many there are or where: a new image or
// config is a new scaler whose instances start beside the old ones (a roll-over), while a new
// count or spread re-places the same scaler's instances in place, as wadm's update_config does.

import { createHash } from 'node:crypto';
import {
  APP_SPEC_ANNOTATION,
  MANAGED_BY_ANNOTATION,
  MANAGED_BY_WADM,
  SCALER_ANNOTATION,
} from '../../lattice/wadm-api.ts';

/** The spread a spreadscaler's actor instance was started for (wadm's SPREAD_KEY). */
export const SPREAD_NAME_ANNOTATION = 'wasmcloud.dev/spread_name';

/** A stable id from the parts that make a scaler what it is. */
export function scalerId(kind: string, parts: readonly unknown[]): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([kind, ...parts]), 'utf8')
    .digest('hex');
  return `${kind}-${digest.slice(0, 32)}`;
}

/** The annotations of an instance started by `scaler` of `appName` (for `spread`, if any). */
export function managedAnnotations(
  appName: string,
  scaler: string,
  spreadName?: string | undefined,
): Record<string, string> {
  const annotations: Record<string, string> = {
    [MANAGED_BY_ANNOTATION]: MANAGED_BY_WADM,
    [APP_SPEC_ANNOTATION]: appName,
    [SCALER_ANNOTATION]: scaler,
  };
  if (spreadName !== undefined) annotations[SPREAD_NAME_ANNOTATION] = spreadName;
  return annotations;
}

/** Who started an instance, read from its annotations; undefined when the reconciler did not. */
export interface ManagedMark {
  app: string;
  scaler: string;
  spread: string | undefined;
}

export function managedMark(annotations: Readonly<Record<string, string>>): ManagedMark | undefined {
  if (annotations[MANAGED_BY_ANNOTATION] !== MANAGED_BY_WADM) return undefined;
  const app = annotations[APP_SPEC_ANNOTATION];
  const scaler = annotations[SCALER_ANNOTATION];
  if (app === undefined || scaler === undefined) return undefined;
  return { app, scaler, spread: annotations[SPREAD_NAME_ANNOTATION] };
}
