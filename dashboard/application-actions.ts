// What the Applications section's buttons do, through the application controller's API
// (lattice/wadm-client.ts) as `wash app` does: store a manifest (and deploy it), deploy, undeploy,
// delete, and read one application's status with its scalers and versions. The controller's own
// words are kept: a refused manifest shows its message, a `notfound` becomes a 404 naming the
// application, and no controller in the lattice says so (api-errors.ts). After each change the
// view is read again, so the page's next state already shows it.

import type { Logger } from '../lattice/log.ts';
import type { ActionResult } from './actions.ts';
import { apiErrorOf, DashboardApiError } from './api-errors.ts';
import type { DeleteApplicationBody, DeployApplicationBody, PutManifestBody } from './api-schemas.ts';
import type { ApplicationsView } from './applications.ts';
import type { ApplicationSummary, ApplicationsState } from './page-data.ts';

/** `GET /api/applications/{name}`: the application as the page shows it, and its stored versions. */
export interface ApplicationDetail extends ApplicationSummary {
  versions: Array<{ version: string; deployed: boolean }>;
}

function unknownApplication(view: ApplicationsView, name: string, said: string): DashboardApiError {
  const lattice = view.client.latticePrefix;
  return new DashboardApiError(
    404,
    'UNKNOWN_APPLICATION',
    `no application ${name} in lattice ${lattice}${said ? ` (the controller says: ${said})` : ''}`,
  );
}

function refused(what: string, said: string): DashboardApiError {
  return new DashboardApiError(
    422,
    'CONTROLLER_REFUSED',
    `${what}: the controller refused: ${said || '(no reason given)'}`,
  );
}

/** " — the controller says: …" when it said something (warnings on a put, for instance). */
function saying(message: string): string {
  return message ? ` — the controller says: ${message}` : '';
}

export class ApplicationActions {
  readonly #view: ApplicationsView;
  readonly #applications: () => ApplicationsState;
  readonly #log: Logger;

  /** `applications` gives the page's applications (with their members) as of now. */
  constructor(parts: { view: ApplicationsView; applications: () => ApplicationsState; log: Logger }) {
    this.#view = parts.view;
    this.#applications = parts.applications;
    this.#log = parts.log;
  }

  get #client() {
    return this.#view.client;
  }

  async #done(result: ActionResult): Promise<ActionResult> {
    this.#log.info(`dashboard: ${result.message}`);
    await this.#view.refresh();
    return result;
  }

  /** Every application, read from the controller now; no controller is an error saying so. */
  async list(): Promise<ApplicationsState> {
    await this.#view.refresh();
    if (this.#view.lastError !== undefined) throw apiErrorOf(this.#view.lastError);
    return this.#applications();
  }

  async detail(name: string): Promise<ApplicationDetail> {
    const status = await this.#client.status(name);
    if (status.result === 'notfound') throw unknownApplication(this.#view, name, status.message);
    if (status.result === 'error') throw refused(`reading the status of application ${name}`, status.message);
    const versions = await this.#client.versions(name);
    if (versions.result === 'notfound') throw unknownApplication(this.#view, name, versions.message);
    if (versions.result === 'error')
      throw refused(`reading the versions of application ${name}`, versions.message);
    const find = () => this.#applications().applications.find((app) => app.name === name);
    if (!find()) await this.#view.refresh();
    if (status.status) this.#view.applyStatus(name, status.status);
    const app = find();
    if (!app) throw unknownApplication(this.#view, name, '');
    return { ...app, versions: versions.versions };
  }

  /** Stores a manifest; with `deploy`, deploys the version just stored. Answers 201 on success. */
  async put(request: PutManifestBody): Promise<ActionResult> {
    const reply = await this.#client.put(new TextEncoder().encode(request.manifest));
    if (reply.result === 'error') {
      throw new DashboardApiError(
        422,
        'MANIFEST_REFUSED',
        `the controller refused the manifest: ${reply.message || '(no reason given)'}`,
      );
    }
    const name = reply.name;
    const version = reply.current_version;
    // The controller's own account when it gives one ("… already stored; nothing changed", warnings).
    const said =
      reply.message ||
      (reply.result === 'created'
        ? `stored new application ${name} version ${version}`
        : `stored version ${version} of application ${name}`);
    const count =
      reply.result === 'newversion'
        ? ` (${reply.total_versions} version${reply.total_versions === 1 ? '' : 's'})`
        : '';
    if (!request.deploy) return this.#done({ message: `${said}${count}`, reply });
    if (!name) {
      throw new DashboardApiError(
        502,
        'BAD_REPLY',
        `${said}, but the controller's reply names no application, so it cannot be deployed`,
      );
    }
    const deployed = await this.#deploy(name, version || undefined);
    return this.#done({ message: `${said}${count}; deploying it`, reply, deploy: deployed });
  }

  async #deploy(name: string, version: string | undefined) {
    const reply = await this.#client.deploy(name, version);
    if (reply.result === 'notfound') throw unknownApplication(this.#view, name, reply.message);
    if (reply.result === 'error') throw refused(`deploying application ${name}`, reply.message);
    return reply;
  }

  async deploy(name: string, request: DeployApplicationBody): Promise<ActionResult> {
    const reply = await this.#deploy(name, request.version);
    const version = reply.version || request.version;
    return this.#done({
      message: `deploying application ${name}${version ? ` version ${version}` : ''}: the controller is reconciling${saying(reply.message)}`,
      name,
      version: version ?? null,
    });
  }

  async undeploy(name: string): Promise<ActionResult> {
    const reply = await this.#client.undeploy(name);
    if (reply.result === 'notfound') throw unknownApplication(this.#view, name, reply.message);
    if (reply.result === 'error') throw refused(`undeploying application ${name}`, reply.message);
    return this.#done({
      message: `undeploying application ${name}: the controller stops what it started for it${saying(reply.message)}`,
      name,
    });
  }

  async delete(name: string, request: DeleteApplicationBody): Promise<ActionResult> {
    const reply = await this.#client.delete(name, request.version);
    const what = request.version === undefined ? 'every version' : `version ${request.version}`;
    if (reply.result === 'noop') {
      throw unknownApplication(this.#view, name, reply.message || `nothing to delete (${what})`);
    }
    if (reply.result === 'error') throw refused(`deleting application ${name} (${what})`, reply.message);
    if (request.version === undefined) this.#view.forget(name);
    return this.#done({
      message: `deleted application ${name} (${what})${reply.undeploy ? ', undeployed first' : ''}${saying(reply.message)}`,
      name,
      version: request.version ?? null,
      undeployed: reply.undeploy,
    });
  }
}
