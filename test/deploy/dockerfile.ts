// A Dockerfile read into its instructions (continuation lines joined, comments dropped), enough to
// check what the image holds and how it starts without a Docker engine.

import { readFileSync } from 'node:fs';

export interface Instruction {
  keyword: string;
  args: string;
  /** The build stage it belongs to (0 for the first FROM). */
  stage: number;
}

export function readDockerfile(path: string): Instruction[] {
  const instructions: Instruction[] = [];
  let stage = -1;
  let pending = '';
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const whole = (pending + line).trim();
    pending = '';
    if (whole === '') continue;
    const space = whole.search(/\s/);
    const keyword = whole.slice(0, space).toUpperCase();
    if (keyword === 'FROM') stage++;
    instructions.push({ keyword, args: whole.slice(space + 1).trim(), stage });
  }
  return instructions;
}

/** The exec form (`["a", "b"]`) of CMD, ENTRYPOINT or HEALTHCHECK … CMD. */
export function execForm(args: string): string[] {
  const start = args.indexOf('[');
  if (start < 0) throw new Error(`not in exec form: ${args}`);
  return JSON.parse(args.slice(start)) as string[];
}

/** `ENV A=1 B=2` → { A: '1', B: '2' } (values without spaces or quoted). */
export function envPairs(args: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const match of args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const value = match[2]!;
    pairs[match[1]!] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
  }
  return pairs;
}
