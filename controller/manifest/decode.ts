// From the bytes of `model.put` to a plain document: a bounded size, strict UTF-8, JSON when it
// looks like JSON, YAML otherwise (YAML 1.2 core schema: only what JSON can hold, so a version
// `2024-01-01` stays text and no tag builds a Date or a Buffer), and a walk that bounds nesting,
// alias expansion and refuses numbers JSON cannot keep. What comes out can be stored as JSON.

import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import { errorMessage } from '../../lattice/errors.ts';
import { decodeJsonBytes, formatPath, type ParseResult } from '../../lattice/json-message.ts';
import { MAX_MANIFEST_BYTES } from '../../lattice/wadm-api.ts';

/** A manifest nests about eight levels; anything far deeper is a mistake or an attack. */
export const MAX_MANIFEST_DEPTH = 64;
/** Values in the document once YAML aliases are expanded (an alias bomb expands exponentially). */
export const MAX_MANIFEST_VALUES = 100_000;
/** YAML aliases per document: enough for shared spreads, far from a bomb's count. */
const MAX_YAML_ALIASES = 1_000;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const BYTE_ORDER_MARK = '\uFEFF';

function describeYamlError(error: unknown): string {
  // The exception's message quotes lines of the input (which may hold secrets); its reason does not.
  if (error instanceof Error && 'reason' in error && typeof error.reason === 'string') {
    const mark =
      'mark' in error ? (error.mark as { line?: unknown; column?: unknown } | undefined) : undefined;
    const where =
      typeof mark?.line === 'number' && typeof mark.column === 'number'
        ? ` (line ${mark.line + 1}, column ${mark.column + 1})`
        : '';
    return `${error.reason}${where}`;
  }
  // js-yaml's own recursion on pathological input ends in a RangeError: say so, never crash.
  return errorMessage(error);
}

function parseYaml(text: string): ParseResult<unknown> {
  try {
    const value = loadYaml(text, {
      schema: CORE_SCHEMA,
      maxDepth: MAX_MANIFEST_DEPTH,
      maxAliases: MAX_YAML_ALIASES,
    });
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: `manifest is not valid YAML: ${describeYamlError(error)}` };
  }
}

/** Enough of a too-deep path to find the place; all 64 keys would be noise. */
const SHOWN_PATH_KEYS = 4;

interface WalkBudget {
  valuesLeft: number;
}

/** The first reason the parsed value cannot be a stored manifest, or undefined when it can. */
function findUnstorable(value: unknown, path: (string | number)[], budget: WalkBudget): string | undefined {
  if (--budget.valuesLeft < 0)
    return `manifest holds more than ${MAX_MANIFEST_VALUES} values once its YAML aliases are expanded`;
  if (typeof value === 'number' && !Number.isFinite(value))
    return `${formatPath(path) || 'manifest'}: expected a finite number (JSON cannot hold .inf, .nan or 1e400)`;
  if (value === null || typeof value !== 'object') return undefined;
  // An alias inside the node it refers to never ends: it, too, is caught here.
  if (path.length >= MAX_MANIFEST_DEPTH)
    return `manifest nests lists or objects deeper than ${MAX_MANIFEST_DEPTH} levels (under ${formatPath(path.slice(0, SHOWN_PATH_KEYS))}…)`;
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((item, index) => [index, item])
    : Object.entries(value);
  for (const [key, item] of entries) {
    path.push(key);
    const problem = findUnstorable(item, path, budget);
    path.pop();
    if (problem) return problem;
  }
  return undefined;
}

function looksLikeJson(text: string): boolean {
  return text.trimStart().startsWith('{');
}

/** The document in `bytes` (YAML or JSON), or a message saying why there is none. */
export function decodeManifestBytes(bytes: Uint8Array): ParseResult<unknown> {
  if (bytes.byteLength > MAX_MANIFEST_BYTES)
    return {
      ok: false,
      error: `manifest is ${bytes.byteLength} bytes; the limit is ${MAX_MANIFEST_BYTES} bytes (${MAX_MANIFEST_BYTES / 1024} KiB)`,
    };
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return { ok: false, error: 'manifest is not UTF-8 text' };
  }
  if (text.startsWith(BYTE_ORDER_MARK)) text = text.slice(BYTE_ORDER_MARK.length);
  if (text.trim() === '') return { ok: false, error: 'manifest is empty' };

  let parsed: ParseResult<unknown>;
  if (looksLikeJson(text)) {
    parsed = decodeJsonBytes(new TextEncoder().encode(text), 'manifest');
    // A YAML flow mapping also starts with `{`; the JSON error is the one to show when both fail.
    if (!parsed.ok) {
      const asYaml = parseYaml(text);
      if (asYaml.ok) parsed = asYaml;
    }
  } else parsed = parseYaml(text);
  if (!parsed.ok) return parsed;

  const problem = findUnstorable(parsed.value, [], { valuesLeft: MAX_MANIFEST_VALUES });
  return problem ? { ok: false, error: problem } : parsed;
}

/** A deep copy of a decoded document as plain JSON data (aliases become copies). */
export function copyDocument(document: unknown): unknown {
  return JSON.parse(JSON.stringify(document));
}
