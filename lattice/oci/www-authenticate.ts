// The `WWW-Authenticate` challenge a registry answers 401 with (RFC 7235): its scheme (`Bearer` or
// `Basic`) and parameters (`realm`, `service`, `scope`, `error`), per the distribution token spec.

export interface AuthChallenge {
  /** Lower-cased: `bearer`, `basic`, … */
  scheme: string;
  params: Record<string, string>;
}

const PARAM = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;

/** The first challenge of the header, or undefined when there is none. */
export function parseAuthChallenge(header: string | null): AuthChallenge | undefined {
  if (header === null) return undefined;
  const match = /^\s*([A-Za-z][A-Za-z0-9._~+/-]*)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const param of match[2]!.matchAll(PARAM)) {
    const name = param[1]!.toLowerCase();
    // A second scheme's parameters would follow; keep the first challenge's values.
    if (!(name in params))
      params[name] = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : param[3]!;
  }
  return { scheme: match[1]!.toLowerCase(), params };
}
