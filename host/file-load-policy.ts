// Which files a host may start actors and providers from. As in wasmCloud, a control message may
// name a file only when the operator allowed it (WASMCLOUD_ALLOW_FILE_LOAD, off by default),
// optionally only below listed directories (WASMCLOUD_ALLOW_FILE_LOAD_DIRS). The policy is decided
// from the reference before the path it names is looked up (only the allowed directories are), so
// a refusal never tells whether a file exists. A path inside a listed directory (as written, or
// below the directory's real path) is then resolved with realpath and must still be inside, so
// neither `..` nor a symbolic link leads out. The host's own directories (the dashboard's uploads)
// are always allowed: they hold only files the host itself wrote.

import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ArtifactError } from './artifact-error.ts';

export interface FileLoadSettings {
  allowed: boolean;
  /** Absolute directories; empty: anywhere the host can read. */
  directories: readonly string[];
}

export const FILE_LOAD_HINTS = {
  off: 'this host does not start actors or providers from files; start it with WASMCLOUD_ALLOW_FILE_LOAD=true (--allow-file-load) to allow them, or use an OCI reference',
  outside:
    'this host starts actors and providers only from files in the directories of WASMCLOUD_ALLOW_FILE_LOAD_DIRS (--allow-file-load-dir)',
} as const;

/** One line for the host's log: what it may start actors and providers from. */
export function describeFileLoad(settings: FileLoadSettings): string {
  if (!settings.allowed) return 'file references refused (WASMCLOUD_ALLOW_FILE_LOAD is off)';
  return settings.directories.length === 0
    ? 'file references allowed from anywhere this host can read (WASMCLOUD_ALLOW_FILE_LOAD)'
    : `file references allowed from ${settings.directories.join(', ')} (WASMCLOUD_ALLOW_FILE_LOAD_DIRS)`;
}

/** True when `path` is `directory` itself or below it (both absolute and normalised). */
function isInside(directory: string, path: string): boolean {
  const rest = relative(directory, path);
  return rest === '' || (rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest));
}

/** An allowed directory as given (made absolute) and as it really is (undefined when it does not exist). */
interface AllowedDirectory {
  given: string;
  real: string | undefined;
}

export class FileLoadPolicy {
  readonly #settings: FileLoadSettings;
  readonly #internal: () => readonly string[];

  /** `internal`: the host's own directories, allowed whatever the settings say (read at each check). */
  constructor(settings: FileLoadSettings, internal: () => readonly string[] = () => []) {
    this.#settings = settings;
    this.#internal = internal;
  }

  /** Whether the operator allowed file references at all (the host's own directories aside). */
  get allowed(): boolean {
    return this.#settings.allowed;
  }

  /**
   * The directories a file may come from: the listed ones (anywhere when none are) and the host's
   * own. Only these directories are looked up (realpath), never the path asked for.
   */
  async #directories(): Promise<{ anywhere: boolean; directories: AllowedDirectory[] }> {
    const listed = this.#settings.allowed ? this.#settings.directories : [];
    const anywhere = this.#settings.allowed && listed.length === 0;
    const given = [...listed, ...this.#internal()].map((directory) => resolve(directory));
    const directories = await Promise.all(
      given.map(async (directory) => ({
        given: directory,
        // A directory that does not exist (yet) contains nothing: it matches no path.
        real: await realpath(directory).catch(() => undefined),
      })),
    );
    return { anywhere, directories };
  }

  /** Whether `path` lies in an allowed directory as written (`..` resolved), without looking it up. */
  async permits(path: string): Promise<boolean> {
    const lexical = resolve(path);
    const { anywhere, directories } = await this.#directories();
    return (
      anywhere ||
      directories.some(
        ({ given, real }) => isInside(given, lexical) || (real !== undefined && isInside(real, lexical)),
      )
    );
  }

  /** The refusal for `ref`: the same whether or not anything exists there. */
  refusal(ref: string): ArtifactError {
    const why = this.#settings.allowed ? FILE_LOAD_HINTS.outside : FILE_LOAD_HINTS.off;
    return new ArtifactError('ARTIFACT_FILE_NOT_ALLOWED', `cannot load ${ref}: ${why}`);
  }

  /**
   * Checks the `path` that `ref` names and answers the path to read. It is refused at once unless it
   * lies in an allowed directory as written; only then is it looked up, and its real path (links
   * resolved) must lie in the real path of an allowed directory too. A path inside that does not
   * exist is answered as it is, for the reader to report as missing.
   */
  async check(ref: string, path: string): Promise<string> {
    const lexical = resolve(path);
    if (!(await this.permits(lexical))) throw this.refusal(ref);
    const { anywhere, directories } = await this.#directories();
    if (anywhere) return lexical;
    // A path that does not exist is answered as it is, for the reader to report as missing.
    const real = await realpath(lexical).catch(() => undefined);
    if (real === undefined) return lexical;
    if (directories.some((directory) => directory.real !== undefined && isInside(directory.real, real))) {
      return real;
    }
    throw this.refusal(ref);
  }
}
