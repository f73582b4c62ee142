// Files uploaded through the dashboard: a signed actor module or a provider archive, checked here
// (so a wrong file is refused at once with the reason, not later by a host), then written with mode
// 0600 into a private temporary directory (0700), made at the first upload (a host killed outright
// then leaves nothing behind unless something was uploaded) and removed with the dashboard. Hosts start
// from that path; it stays while the dashboard runs because a host re-reads an actor's file to add
// instances. Same bytes uploaded twice are stored once.

import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifySignedWasm } from '../lattice/claims.ts';
import { errorMessage } from '../lattice/errors.ts';
import { readProviderArchive } from '../lattice/provider-archive.ts';
import { DashboardApiError } from './api-errors.ts';

export type UploadKind = 'actor' | 'provider';

/** What the API tells about an upload (the path stays on the server). */
export interface UploadInfo {
  upload_id: string;
  kind: UploadKind;
  file_name: string;
  size: number;
  sha256: string;
  /** The actor's (M…) or provider's (V…) public key, from its claims. */
  public_key: string;
  /** The name in its claims. */
  name: string;
  /** Actors: the capabilities they claim. */
  caps?: string[];
  /** Providers: the contract they serve. */
  contract_id?: string;
}

export interface StoredUpload extends UploadInfo {
  path: string;
}

export interface UploadLimits {
  /** Largest single file; default 100 MiB. */
  maxFileBytes: number;
  /** All files kept together; default 1 GiB. */
  maxTotalBytes: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  maxFileBytes: 100 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
};

interface CheckedArtifact {
  public_key: string;
  name: string;
  caps?: string[];
  contract_id?: string;
}

function checkActor(bytes: Uint8Array, fileName: string): CheckedArtifact {
  try {
    const { claims } = verifySignedWasm(bytes);
    return { public_key: claims.sub, name: claims.wascap.name ?? claims.sub, caps: claims.wascap.caps ?? [] };
  } catch (error) {
    throw new DashboardApiError(422, 'NOT_A_SIGNED_ACTOR', `${fileName}: ${errorMessage(error)}`);
  }
}

async function checkProvider(bytes: Uint8Array, fileName: string): Promise<CheckedArtifact> {
  try {
    const { claims } = await readProviderArchive(bytes);
    return {
      public_key: claims.sub,
      name: claims.wascap.name ?? claims.sub,
      contract_id: claims.wascap.capid,
    };
  } catch (error) {
    throw new DashboardApiError(422, 'NOT_A_PROVIDER_ARCHIVE', `${fileName}: ${errorMessage(error)}`);
  }
}

export class UploadStore {
  readonly limits: UploadLimits;
  #directory: string | undefined;
  readonly #uploads = new Map<string, StoredUpload>();
  #totalBytes = 0;
  #closed = false;

  readonly #parentDir: string;

  /** Uploads go into a folder made in `parentDir` (the host's own temporary folder). */
  constructor(limits: UploadLimits = DEFAULT_UPLOAD_LIMITS, parentDir = tmpdir()) {
    this.limits = limits;
    this.#parentDir = parentDir;
  }

  /** Where uploads are kept; undefined until the first one. */
  get directory(): string | undefined {
    return this.#directory;
  }

  #ensureDirectory(): string {
    // mkdtemp creates the directory with mode 0700: only this user can list or read it.
    this.#directory ??= mkdtempSync(join(this.#parentDir, 'wasmcloud-ts-dashboard-uploads-'));
    return this.#directory;
  }

  /** Checks and stores a file; a DashboardApiError says what is wrong with it. */
  async add(kind: UploadKind, fileName: string, bytes: Uint8Array): Promise<UploadInfo> {
    if (this.#closed) throw new DashboardApiError(503, 'CLOSING', 'the dashboard is shutting down');
    if (bytes.length === 0) throw new DashboardApiError(400, 'EMPTY_UPLOAD', `${fileName} is empty`);
    if (bytes.length > this.limits.maxFileBytes) {
      throw new DashboardApiError(
        413,
        'UPLOAD_TOO_LARGE',
        `${fileName} is ${bytes.length} bytes, over the limit of ${this.limits.maxFileBytes}`,
      );
    }
    const checked = kind === 'actor' ? checkActor(bytes, fileName) : await checkProvider(bytes, fileName);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    for (const upload of this.#uploads.values()) {
      if (upload.sha256 === sha256 && upload.kind === kind) return infoOf(upload);
    }
    if (this.#totalBytes + bytes.length > this.limits.maxTotalBytes) {
      throw new DashboardApiError(
        507,
        'UPLOADS_FULL',
        `the dashboard already keeps ${this.#totalBytes} bytes of uploads; the limit is ${this.limits.maxTotalBytes} (restart the host to clear them)`,
      );
    }
    const id = randomUUID();
    const path = join(this.#ensureDirectory(), `${id}${kind === 'actor' ? '.wasm' : '.par.gz'}`);
    await writeFile(path, bytes, { mode: 0o600, flag: 'wx' });
    const upload: StoredUpload = {
      upload_id: id,
      kind,
      file_name: fileName,
      size: bytes.length,
      sha256,
      path,
      ...checked,
    };
    this.#uploads.set(id, upload);
    this.#totalBytes += bytes.length;
    return infoOf(upload);
  }

  /** The upload of `id` and `kind`, or a 404 that says which. */
  get(id: string, kind: UploadKind): StoredUpload {
    const upload = this.#uploads.get(id);
    if (upload === undefined || upload.kind !== kind) {
      throw new DashboardApiError(404, 'UNKNOWN_UPLOAD', `no ${kind} upload ${id} (upload the file again)`);
    }
    return upload;
  }

  /** The uploaded file's own name, when `path` is where an upload was stored. */
  fileNameAt(path: string): string | undefined {
    for (const upload of this.#uploads.values()) if (upload.path === path) return upload.file_name;
    return undefined;
  }

  list(): UploadInfo[] {
    return [...this.#uploads.values()].map(infoOf);
  }

  /** Removes the directory and every file in it. */
  close(): void {
    this.#closed = true;
    this.#uploads.clear();
    if (this.#directory !== undefined) rmSync(this.#directory, { recursive: true, force: true });
  }
}

function infoOf(upload: StoredUpload): UploadInfo {
  const { path: _path, ...info } = upload;
  return info;
}
