// The options `wash up` takes (as commander hands them over) and the checks they share.

import { WashError } from '../../errors.ts';

export const DEFAULT_NATS_HOST = '127.0.0.1';
export const DEFAULT_NATS_PORT = 4222;

export interface UpFlags {
  natsUrl?: string;
  natsHost: string;
  natsPort: string;
  detached?: boolean;
  latticePrefix?: string;
  hostSeed?: string;
  clusterSeed?: string;
  clusterIssuers?: string;
  label?: string[];
  logLevel?: string;
  structuredLogging?: boolean;
  friendlyName?: string;
  allowLatest?: boolean;
  allowedInsecure?: string;
  jsDomain?: string;
  rpcTimeoutMs?: string;
  dashboardPort?: string;
  dashboardHost?: string;
  startupTimeoutMs: string;
  /** false with --no-wadm. */
  wadm: boolean;
  /** wash 0.2x's name for --no-wadm. */
  disableWadm?: boolean;
}

/** Whether to start the application controller (the default). */
export function wantsController(flags: UpFlags): boolean {
  return flags.wadm !== false && flags.disableWadm !== true;
}

export function wholeNumber(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw new WashError(
      'WASH_BAD_ARGUMENT',
      `invalid ${flag} "${text}": expected a whole number from ${min} to ${max}`,
    );
  }
  return Number(text);
}
