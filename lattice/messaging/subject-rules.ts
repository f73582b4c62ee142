// What NATS accepts as a subject, checked before anything is sent so a bad one gets a clear
// error instead of a protocol error that closes the connection: dot-separated non-empty tokens
// without whitespace; a subscription may use the wildcards `*` (one whole token) and `>` (the
// whole last token), a publish may not.

export type SubjectUse = 'publish' | 'subscribe';

/** Why `subject` cannot be used so, or undefined when it can. */
export function subjectProblem(subject: string, use: SubjectUse): string | undefined {
  if (subject === '') return 'the subject is empty';
  if (/\s/.test(subject)) return `subject ${JSON.stringify(subject)} contains whitespace`;
  const tokens = subject.split('.');
  if (tokens.some((token) => token === '')) return `subject ${JSON.stringify(subject)} has an empty token`;
  for (const [index, token] of tokens.entries()) {
    const wildcard = token === '*' || (token === '>' && index === tokens.length - 1);
    if (wildcard && use === 'publish') {
      return `subject ${JSON.stringify(subject)} has a wildcard; messages go to concrete subjects`;
    }
    if (!wildcard && (token.includes('*') || token.includes('>'))) {
      return `subject ${JSON.stringify(subject)} misuses a wildcard: '*' must be a whole token, '>' the whole last token`;
    }
  }
  return undefined;
}
