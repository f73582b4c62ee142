// Why a provider could not be started: a stable `code` for programs, a message for people
// (it becomes the `error` of provider_start_failed).

import { HostError } from '../errors.ts';

export class ProviderStartError extends HostError {}
