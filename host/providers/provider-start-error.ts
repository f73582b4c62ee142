// Why a provider could not be started: a stable `code` for programs, a message for people
// (it becomes the `error` of provider_start_failed).

export class ProviderStartError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = 'ProviderStartError';
  }
}
