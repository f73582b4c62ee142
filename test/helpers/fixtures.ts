// Paths to the shared fixtures that sit beside the repository (../shared).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const CLAIMS_FIXTURES = join(REPO_ROOT, '..', 'shared', 'fixtures', 'claims');

export interface ClaimsFixture {
  file: string;
  subject: string;
  issuer: string;
  name: string;
  module_hash: string;
  caps: string[];
  call_alias: string | null;
  signature_valid: boolean;
}

export function claimsFixtures(): ClaimsFixture[] {
  return JSON.parse(readFileSync(join(CLAIMS_FIXTURES, 'manifest.json'), 'utf8')) as ClaimsFixture[];
}

export function claimsFixtureToken(file: string): string {
  return readFileSync(join(CLAIMS_FIXTURES, file), 'utf8').trim();
}
