// Text from outside (references, names, keys, error messages that quote them) bounded before it goes
// into a log line, an event or a reply: a control message can carry an 800 KB `actor_ref`, and
// without a bound each such message wrote megabytes of log. Control characters are escaped so a
// value cannot end a log line and forge the next one.

/** Characters kept of a reference, name or key. OCI references and file paths fit well within. */
export const DISPLAY_VALUE_LIMIT = 512;
/** Characters kept of an error message (which may quote a value or two). */
export const DISPLAY_ERROR_LIMIT = 2048;

// C0 and C1 controls and DEL (\p{Cc}), and the two JavaScript line terminators.
const NEEDS_ESCAPE = /[\p{Cc}\u2028\u2029]/u;
const NAMED_ESCAPES: Record<number, string> = { 9: '\\t', 10: '\\n', 13: '\\r' };

function escapeOf(code: number): string | undefined {
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029)
    return NAMED_ESCAPES[code] ?? `\\u${code.toString(16).padStart(4, '0')}`;
  return undefined;
}

function moreBytes(rest: string): string {
  return `… (${Buffer.byteLength(rest, 'utf8')} bytes more)`;
}

/** The end of a prefix of `max` characters that does not split a surrogate pair. */
function cutAt(value: string, max: number): number {
  const code = value.charCodeAt(max - 1);
  return code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
}

/**
 * `value` as it may be shown: at most `max` characters of it, control characters escaped (`\n`,
 * `\u001b`), and when it was longer, `… (N bytes more)`. Short plain text comes back unchanged.
 */
export function truncateForDisplay(value: string, max = DISPLAY_VALUE_LIMIT): string {
  const plain = !NEEDS_ESCAPE.test(value.length > max ? value.slice(0, max) : value);
  if (plain) {
    if (value.length <= max) return value;
    const end = cutAt(value, max);
    return `${value.slice(0, end)}${moreBytes(value.slice(end))}`;
  }
  let out = '';
  let index = 0;
  while (index < value.length) {
    const code = value.codePointAt(index) as number;
    const width = code > 0xffff ? 2 : 1;
    const piece = escapeOf(code) ?? value.slice(index, index + width);
    if (out.length + piece.length > max) break;
    out += piece;
    index += width;
  }
  return index >= value.length ? out : `${out}${moreBytes(value.slice(index))}`;
}

/**
 * At most `max` characters of `text`, then `… (N bytes more)`; nothing escaped. The last bound
 * on a log line or message whose parts are the program's own (a stack trace keeps its lines).
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = cutAt(text, max);
  return `${text.slice(0, end)}${moreBytes(text.slice(end))}`;
}
