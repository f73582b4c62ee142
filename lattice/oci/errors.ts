// The one error class of the OCI client. Its `code` says what went wrong for programs and tests;
// its message says it for a person: which registry, which reference, what to do about it.

import { LatticeError } from '../errors.ts';

export type OciErrorCode =
  /** The text is not `registry[:port]/repository[:tag|@digest]`. */
  | 'OCI_BAD_REFERENCE'
  /** The reference uses the tag `latest` (named or implied) and that was not allowed. */
  | 'OCI_LATEST_REFUSED'
  /** The registry wants credentials and none were given. */
  | 'OCI_UNAUTHORIZED'
  /** The registry (or its token server) refused the credentials given. */
  | 'OCI_CREDENTIALS_REFUSED'
  /** Authenticated, but not allowed to do this (403). */
  | 'OCI_FORBIDDEN'
  /** No such repository, tag, manifest or blob (404). */
  | 'OCI_NOT_FOUND'
  /** Bytes whose sha256 is not the digest they were asked for or announced with. */
  | 'OCI_DIGEST_MISMATCH'
  /** A manifest or layer of a kind this client does not handle (or not the kind asked for). */
  | 'OCI_UNEXPECTED_MEDIA_TYPE'
  /** A manifest that is not valid OCI image manifest JSON. */
  | 'OCI_BAD_MANIFEST'
  /** More bytes than allowed, or than announced. */
  | 'OCI_TOO_LARGE'
  /** The registry could not be reached (connection, TLS, timeout). */
  | 'OCI_UNREACHABLE'
  /** The token server answered with something other than a token. */
  | 'OCI_BAD_TOKEN_RESPONSE'
  /** Any other error status from the registry. */
  | 'OCI_REGISTRY_ERROR';

export class OciError extends LatticeError {
  declare readonly code: OciErrorCode;
  constructor(code: OciErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}
