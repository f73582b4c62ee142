// The problems a manifest can have, each tied to the path of the field in the user's document
// (`spec.components[1].traits[0].properties.replicas`), and how they become the one message a
// refusal carries. zod's issues and the cross-reference checks of validate.ts end up in the same
// list, so a person sees every problem in the form lattice/json-message.ts gives any message.

import type { z } from 'zod';
import { describeIssues, formatPath } from '../../lattice/json-message.ts';

/** Keys and list positions from the root of the document to a field. */
export type FieldPath = readonly (string | number)[];

/** One thing wrong with (or, as a warning, worth saying about) a field of the manifest. */
export interface ManifestProblem {
  path: FieldPath;
  message: string;
}

/** A manifest with many mistakes is fixed in one go when it hears of all of them; 20 stays readable. */
export const MAX_REPORTED_PROBLEMS = 20;

/**
 * zod reports all unknown keys of an object as one issue at the object; a person wants to see each
 * key's own path (`spec.policy: unknown key (allowed here: components, policies)`).
 */
function oneIssuePerUnknownKey(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.flatMap((issue): z.core.$ZodIssue[] =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ code: 'custom', path: [...issue.path, key], message: issue.message }))
      : [issue],
  );
}

/** zod issues of the document's schema as one line, e.g. `kind: expected Application; spec.x: …`. */
export function describeSchemaIssues(issues: readonly z.core.$ZodIssue[]): string {
  return describeIssues(oneIssuePerUnknownKey(issues), MAX_REPORTED_PROBLEMS);
}

/** Problems found by the cross-reference checks as one line, in the same form. */
export function describeProblems(problems: readonly ManifestProblem[]): string {
  return describeIssues(
    problems.map((problem) => ({ code: 'custom', path: [...problem.path], message: problem.message })),
    MAX_REPORTED_PROBLEMS,
  );
}

/** A warning as shown in a reply or a status: `path: text`. */
export function describeWarning(warning: ManifestProblem): string {
  const where = formatPath(warning.path);
  return where ? `${where}: ${warning.message}` : warning.message;
}
