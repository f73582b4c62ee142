// OCI references as wasmCloud uses them: `registry[:port]/repository[:tag|@digest]`, e.g.
// `127.0.0.1:5000/echo:0.1.0` or `wasmcloud.azurecr.io/echo@sha256:…`. Unlike docker, there is no
// default registry: the first part must name one (it holds a dot or a port, or is `localhost`).
// Grammar after the distribution project's reference package; only sha256 digests are accepted.

import { OciError } from './errors.ts';

export interface OciReference {
  /** `host[:port]` as written (lower-cased), e.g. `127.0.0.1:5000`. */
  registry: string;
  /** e.g. `wasmcloud/echo` */
  repository: string;
  tag: string | undefined;
  /** `sha256:` and 64 lowercase hex digits. */
  digest: string | undefined;
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const REGISTRY = new RegExp(`^${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::(\\d{1,5}))?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
/** The distribution registry's limit on `registry/repository`. */
const MAX_NAME_LENGTH = 255;

const SHAPE = 'registry[:port]/repository[:tag|@digest], e.g. 127.0.0.1:5000/echo:0.1.0';

function bad(text: string, why: string): OciError {
  return new OciError('OCI_BAD_REFERENCE', `"${text}" is not an OCI reference (${SHAPE}): ${why}`);
}

/** Whether `first` (the text before the first `/`) names a registry rather than a repository part. */
function namesRegistry(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost';
}

/** Parses a reference; throws OCI_BAD_REFERENCE saying which part is wrong. */
export function parseOciReference(text: string): OciReference {
  if (text.trim() !== text || text === '') throw bad(text, 'it is empty or has spaces around it');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!SHA256_DIGEST.test(digest)) {
      throw bad(text, `the digest "${digest}" is not sha256: followed by 64 lowercase hex digits`);
    }
  }
  const slash = rest.indexOf('/');
  if (slash < 0) throw bad(text, 'it has no registry part before a "/"');
  const registry = rest.slice(0, slash);
  let path = rest.slice(slash + 1);
  if (!namesRegistry(registry)) {
    throw bad(text, `"${registry}" does not name a registry (a host with a dot or a port, or localhost)`);
  }
  const registryMatch = REGISTRY.exec(registry);
  const port = registryMatch?.[1];
  if (!registryMatch || (port !== undefined && (Number(port) < 1 || Number(port) > 65_535))) {
    throw bad(text, `"${registry}" is not a valid registry host[:port]`);
  }
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) {
      throw bad(text, `the tag "${tag}" may hold only letters, digits, "_", "." and "-" (up to 128)`);
    }
  }
  if (path === '') throw bad(text, 'the repository is empty');
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      throw bad(
        text,
        component.toLowerCase() !== component
          ? `the repository "${path}" must be lowercase`
          : `"${component}" is not a valid repository name part`,
      );
    }
  }
  if (registry.length + 1 + path.length > MAX_NAME_LENGTH) {
    throw bad(text, `registry and repository together exceed ${MAX_NAME_LENGTH} characters`);
  }
  return { registry: registry.toLowerCase(), repository: path, tag, digest };
}

/** Whether `text` parses as an OCI reference. */
export function isOciReference(text: string): boolean {
  try {
    parseOciReference(text);
    return true;
  } catch {
    return false;
  }
}

/** The reference written out again (registry lower-cased). */
export function formatOciReference(reference: OciReference): string {
  const tag = reference.tag === undefined ? '' : `:${reference.tag}`;
  const digest = reference.digest === undefined ? '' : `@${reference.digest}`;
  return `${reference.registry}/${reference.repository}${tag}${digest}`;
}

/** What to ask the registry's manifests endpoint for: the digest, else the tag, else `latest`. */
export function manifestReference(reference: OciReference): string {
  return reference.digest ?? reference.tag ?? 'latest';
}

/**
 * Whether the reference resolves through the tag `latest`, named or implied by having no tag. A
 * digest pins the content, so `repo:latest@sha256:…` does not count.
 */
export function usesLatestTag(reference: OciReference): boolean {
  return reference.digest === undefined && (reference.tag ?? 'latest') === 'latest';
}

/**
 * Throws OCI_LATEST_REFUSED for a `latest` reference unless allowed; `howToAllow` tells the user
 * the setting or flag that allows it.
 */
export function refuseLatest(reference: OciReference, allowLatest: boolean, howToAllow: string): void {
  if (allowLatest || !usesLatestTag(reference)) return;
  const which =
    reference.tag === undefined ? 'has no tag, so it means the tag latest' : 'uses the tag latest';
  throw new OciError(
    'OCI_LATEST_REFUSED',
    `${formatOciReference(reference)} ${which}, which can change under you; give a version tag or a digest, or allow latest with ${howToAllow}`,
  );
}

/** `host[:port]` from a registry setting that may carry a scheme or a trailing slash. */
export function normalizeRegistryName(text: string): string {
  return text
    .trim()
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/+$/, '')
    .toLowerCase();
}
