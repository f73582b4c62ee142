// docs/errors.md, written from the catalogues of error codes (lattice/errors.ts explains the
// model), so the page lists exactly the codes the code throws, with the meaning the catalogue
// gives. test/error-model.test.ts fails when the page differs; `npx node test/helpers/errors-doc.ts`
// writes it again.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTROLLER_ERROR_CODES } from '../../controller/errors.ts';
import { DASHBOARD_ERROR_CODES } from '../../dashboard/errors.ts';
import { HOST_ERROR_CODES } from '../../host/errors.ts';
import { type ErrorCatalogue, LATTICE_ERROR_CODES } from '../../lattice/errors.ts';
import { PROVIDER_ERROR_CODES } from '../../providers/sdk/errors.ts';
import { WASH_ERROR_CODES } from '../../wash-cli/errors.ts';
import { REPO_ROOT } from './fixtures.ts';

export const ERRORS_DOC = join(REPO_ROOT, 'docs', 'errors.md');

export interface ErrorLayer {
  name: string;
  /** The catalogue's file, which also holds the layer's base class. */
  file: string;
  base: string;
  catalogue: ErrorCatalogue;
  /** What the section says before its table. */
  about: string;
}

export const ERROR_LAYERS: readonly ErrorLayer[] = [
  {
    name: 'lattice',
    file: 'lattice/errors.ts',
    base: 'LatticeError',
    catalogue: LATTICE_ERROR_CODES,
    about:
      'The protocol library every other part uses: keys, claims, archives, decoding, invocations, NATS, RPC, the control and application-controller clients, OCI registries. The other layers pass these codes on when they wrap one of these errors.',
  },
  {
    name: 'host',
    file: 'host/errors.ts',
    base: 'HostError',
    catalogue: HOST_ERROR_CODES,
    about:
      'The host process. A failed call\'s error text starts with its invocation code (`ACTOR_TIMEOUT: …`); a refused control request carries its code beside the 2022 `error` (`{"accepted": false, "error": …, "code": …}`).',
  },
  {
    name: 'providers',
    file: 'providers/sdk/errors.ts',
    base: 'ProviderError',
    catalogue: PROVIDER_ERROR_CODES,
    about:
      'The provider SDK, the providers of `providers/` and their packaging. An actor sees a failed operation as the error text of its call; a refused link is logged with its code.',
  },
  {
    name: 'wash',
    file: 'wash-cli/errors.ts',
    base: 'WashError',
    catalogue: WASH_ERROR_CODES,
    about:
      '`wash` prints a failure as `error: …`, and with `-o json` as `{"success": false, "error": …, "code": …}`, plus `"host_code"` when a host refused with a code of its own.',
  },
  {
    name: 'controller',
    file: 'controller/errors.ts',
    base: 'ControllerError',
    catalogue: CONTROLLER_ERROR_CODES,
    about:
      'The application controller. Its wadm API answers errors in wadm\'s shape (`{"result": "error", "message": …}`), without a code; these codes show in its log lines.',
  },
  {
    name: 'dashboard',
    file: 'dashboard/errors.ts',
    base: 'DashboardError',
    catalogue: DASHBOARD_ERROR_CODES,
    about:
      'The dashboard\'s JSON API answers `{"error": {"code", "message", "issues"?}}` with these codes (docs/dashboard.md gives each one\'s HTTP status), the lattice\'s `CTL_*` and `WADM_*` codes, or fastify\'s own `FST_ERR_*` code of a request it refused.',
  },
];

const INTRO = `# Error codes

<!-- Written by test/helpers/errors-doc.ts from the catalogues; edit those, then run
     \`npx node test/helpers/errors-doc.ts\`. test/error-model.test.ts fails when this page differs. -->

Every error the code throws on purpose is a coded error: a stable \`code\` for programs, a message
for people, and, when it wraps another error, that error as its \`cause\`. Each layer lists every
code it throws in one catalogue, and each of its error classes extends the layer's base class,
which extends \`LatticeError\` (lattice/errors.ts). A layer that wraps an error of the lattice
library may keep that error's code, so the reason stays as precise as it was.

Where the codes show:

- log lines about an error end with \` code=…\` (a JSON line has a \`"code"\` field);
- \`wash … -o json\` failures carry \`"code"\` (and \`"host_code"\` for a host's refusal);
- a control request a host refuses is answered \`{"accepted": false, "error": …, "code": …}\`;
- the dashboard API answers \`{"error": {"code": …, "message": …}}\`;
- a failed actor call's error text starts with the host's invocation code (\`ACTOR_TIMEOUT: …\`).
`;

function table(catalogue: ErrorCatalogue): string {
  const rows = Object.entries(catalogue).map(([code, meaning]) => [`\`${code}\``, meaning] as const);
  const width = Math.max('Code'.length, ...rows.map(([code]) => code.length));
  const lines = [`| ${'Code'.padEnd(width)} | Meaning |`, `| ${'-'.repeat(width)} | ------- |`];
  for (const [code, meaning] of rows) lines.push(`| ${code.padEnd(width)} | ${meaning} |`);
  return lines.join('\n');
}

export function renderErrorsDoc(): string {
  const sections = ERROR_LAYERS.map(
    (layer) =>
      `## ${layer.name}\n\n\`${layer.file}\`, base class \`${layer.base}\`. ${layer.about}\n\n${table(layer.catalogue)}\n`,
  );
  return [INTRO, ...sections].join('\n');
}

if (import.meta.main) {
  writeFileSync(ERRORS_DOC, renderErrorsDoc());
  process.stdout.write(`wrote ${ERRORS_DOC}\n`);
}
