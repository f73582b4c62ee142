// The error of fetching an actor module or a provider archive: a code naming what went wrong
// (ARTIFACT_NOT_FOUND, ARTIFACT_FILE_NOT_ALLOWED, an OCI code, …) and a message saying it.

export class ArtifactError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = 'ArtifactError';
  }
}
