// The error of fetching an actor module or a provider archive: a code naming what went wrong
// (ARTIFACT_NOT_FOUND, ARTIFACT_FILE_NOT_ALLOWED, an OCI code, …) and a message saying it.

import { HostError } from './errors.ts';

export class ArtifactError extends HostError {}
