// A stand-in for the application controller in tests of its clients (the dashboard): it answers
// `wadm.api.{lattice}.model.*` as wadm.md §3 says, with the reply shapes of lattice/wadm-api.ts,
// from manifests kept in memory, and pushes status on `wadm.status.{lattice}.{name}`. It runs
// nothing on the lattice: a test sets the status it wants with setStatus(). Manifests are checked
// only as far as a client can tell the difference (YAML or JSON, an Application with a name, no
// `latest` version, a version not stored twice); the real controller's validation is its own.

import { load as parseYaml } from 'js-yaml';
import { errorMessage } from '../../lattice/errors.ts';
import { encodeJsonMessage } from '../../lattice/json-message.ts';
import type { Msg, NatsConnection, Subscription } from '../../lattice/nats.ts';
import {
  type AppStatus,
  type AppSummary,
  type StatusType,
  WADM_OPERATIONS,
  type WadmOperation,
  wadmApiWildcard,
  wadmErrorReply,
  wadmStatusSubject,
} from '../../lattice/wadm-api.ts';

interface StoredVersion {
  version: string;
  description: string | undefined;
  document: Record<string, unknown>;
}

interface StoredApp {
  versions: StoredVersion[];
  deployed: string | undefined;
  status: AppStatus;
}

/** One request as it came, for tests that check what a client sent. */
export interface ReceivedRequest {
  operation: WadmOperation;
  name: string | undefined;
  body: string;
}

const SCALER_KINDS: Record<string, string> = {
  spreadscaler: 'SpreadScaler',
  daemonscaler: 'DaemonScaler',
  linkdef: 'LinkScaler',
  link: 'LinkScaler',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The manifest's text as JSON, else as YAML; an error names what is wrong. */
function parseManifest(
  text: string,
): { ok: true; document: Record<string, unknown> } | { ok: false; error: string } {
  let document: unknown;
  try {
    document = text.trimStart().startsWith('{') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    return { ok: false, error: `the manifest is neither JSON nor YAML: ${errorMessage(error)}` };
  }
  if (!isRecord(document)) return { ok: false, error: 'the manifest is not an object' };
  if (document.apiVersion !== 'core.oam.dev/v1beta1')
    return { ok: false, error: 'apiVersion: expected core.oam.dev/v1beta1' };
  if (document.kind !== 'Application') return { ok: false, error: 'kind: expected Application' };
  const metadata = isRecord(document.metadata) ? document.metadata : {};
  if (typeof metadata.name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(metadata.name))
    return { ok: false, error: 'metadata.name: expected letters, digits, - and _' };
  const spec = isRecord(document.spec) ? document.spec : {};
  if (!Array.isArray(spec.components)) return { ok: false, error: 'spec.components: expected a list' };
  return { ok: true, document };
}

export class WadmResponder {
  readonly lattice: string;
  readonly requests: ReceivedRequest[] = [];
  /** When set, `model.list` answers an error reply with this message (a store that cannot be read). */
  listFailure: string | undefined;
  readonly #nc: NatsConnection;
  readonly #apps = new Map<string, StoredApp>();
  #subscription: Subscription | undefined;
  #generated = 0;

  private constructor(nc: NatsConnection, lattice: string) {
    this.#nc = nc;
    this.lattice = lattice;
  }

  /** Answers from now on (the subscription is on the server when this resolves). */
  static async start(nc: NatsConnection, lattice: string): Promise<WadmResponder> {
    const responder = new WadmResponder(nc, lattice);
    responder.#subscription = nc.subscribe(wadmApiWildcard(lattice), {
      callback: (error, msg) => {
        if (!error) responder.#answer(msg);
      },
    });
    await nc.flush();
    return responder;
  }

  /** Stops answering: clients see no responders again. */
  async stop(): Promise<void> {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    await this.#nc.flush();
  }

  /** Sets an application's status, as a reconciler would, and pushes it. */
  setStatus(name: string, status: AppStatus): void {
    const app = this.#apps.get(name);
    if (!app) throw new Error(`no application ${name} stored`);
    app.status = status;
    this.#push(name, app);
  }

  /** The status one type and message give, with one scaler per trait of the deployed version. */
  statusOf(name: string, type: StatusType, message = '', scalerMessage = message): AppStatus {
    const app = this.#apps.get(name);
    const deployed = app?.versions.find((stored) => stored.version === app.deployed);
    return {
      status: { type, message },
      scalers: deployed ? this.#scalers(deployed, type, scalerMessage) : [],
    };
  }

  #scalers(version: StoredVersion, type: StatusType, message: string): AppStatus['scalers'] {
    const spec = isRecord(version.document.spec) ? version.document.spec : {};
    const components = Array.isArray(spec.components) ? spec.components.filter(isRecord) : [];
    return components.flatMap((component) => {
      const traits = Array.isArray(component.traits) ? component.traits.filter(isRecord) : [];
      return traits.map((trait, index) => ({
        id: `${String(component.name)}-${String(trait.type)}-${index}`,
        kind: SCALER_KINDS[String(trait.type)] ?? String(trait.type),
        name: String(component.name),
        status: { type, message },
      }));
    });
  }

  #push(name: string, app: StoredApp): void {
    this.#nc.publish(wadmStatusSubject(this.lattice, name), encodeJsonMessage(app.status));
  }

  #answer(msg: Msg): void {
    const tokens = msg.subject.split('.');
    const operation = tokens[4] as WadmOperation;
    const name = tokens[5];
    const body = new TextDecoder().decode(msg.data);
    this.requests.push({ operation, name, body });
    let reply: unknown;
    try {
      reply = WADM_OPERATIONS.includes(operation)
        ? this.#handle(operation, name, body)
        : wadmErrorReply(`unknown operation ${operation}`);
    } catch (error) {
      reply = wadmErrorReply(errorMessage(error));
    }
    msg.respond(encodeJsonMessage(reply));
  }

  #versionOf(body: string): string | undefined {
    if (body.trim() === '') return undefined;
    const parsed: unknown = JSON.parse(body);
    if (!isRecord(parsed)) throw new Error('the request is not a JSON object');
    if (parsed.version !== undefined && typeof parsed.version !== 'string')
      throw new Error('version: expected a string');
    return parsed.version;
  }

  #summary(name: string, app: StoredApp): AppSummary {
    const latest = app.versions[app.versions.length - 1];
    return {
      name,
      version: latest?.version ?? '',
      description: latest?.description,
      deployed_version: app.deployed,
      status: app.status.status.type,
      status_message: app.status.status.message,
    };
  }

  #handle(operation: WadmOperation, name: string | undefined, body: string): unknown {
    const app = name === undefined ? undefined : this.#apps.get(name);
    const missing = `application ${name} does not exist`;
    switch (operation) {
      case 'put':
        return this.#put(body);
      case 'list':
        if (this.listFailure !== undefined) return wadmErrorReply(this.listFailure);
        return [...this.#apps].map(([appName, stored]) => this.#summary(appName, stored));
      case 'get': {
        if (!app) return { result: 'notfound', message: missing };
        const version = this.#versionOf(body);
        const stored = version ? app.versions.find((v) => v.version === version) : app.versions.at(-1);
        return stored
          ? { result: 'success', message: '', manifest: stored.document }
          : { result: 'notfound', message: `application ${name} has no version ${version}` };
      }
      case 'versions':
        if (!app) return { result: 'notfound', message: missing, versions: [] };
        return {
          result: 'success',
          message: '',
          versions: app.versions.map((v) => ({ version: v.version, deployed: v.version === app.deployed })),
        };
      case 'del': {
        const version = this.#versionOf(body);
        if (!app || !name) return { result: 'noop', message: missing, undeploy: false };
        if (version !== undefined && !app.versions.some((v) => v.version === version))
          return {
            result: 'noop',
            message: `application ${name} has no version ${version}`,
            undeploy: false,
          };
        const undeploy = app.deployed !== undefined && (version === undefined || version === app.deployed);
        if (version === undefined) this.#apps.delete(name);
        else {
          app.versions = app.versions.filter((v) => v.version !== version);
          if (undeploy) app.deployed = undefined;
          if (app.versions.length === 0) this.#apps.delete(name);
        }
        return { result: 'deleted', message: `deleted ${version ?? 'every version'} of ${name}`, undeploy };
      }
      case 'deploy': {
        if (!app || !name) return { result: 'notfound', message: missing };
        const version = this.#versionOf(body) ?? app.versions.at(-1)?.version;
        if (!app.versions.some((v) => v.version === version))
          return { result: 'notfound', message: `application ${name} has no version ${version}` };
        app.deployed = version;
        app.status = this.statusOf(name, 'reconciling', `deploying version ${version}`);
        this.#push(name, app);
        return { result: 'acknowledged', message: '', name, version };
      }
      case 'undeploy': {
        if (!app || !name) return { result: 'notfound', message: missing };
        app.deployed = undefined;
        app.status = { status: { type: 'undeployed', message: '' }, scalers: [] };
        this.#push(name, app);
        return { result: 'acknowledged', message: '' };
      }
      case 'status':
        if (!app) return { result: 'notfound', message: missing };
        return { result: 'ok', message: app.status.status.message, status: app.status };
    }
  }

  #put(body: string): unknown {
    if (body.trim() === '')
      return wadmErrorReply('the manifest is empty: send the application manifest (YAML or JSON)');
    const parsed = parseManifest(body);
    if (!parsed.ok) return wadmErrorReply(parsed.error);
    const metadata = parsed.document.metadata as Record<string, unknown>;
    const name = metadata.name as string;
    const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
    this.#generated += 1;
    const version =
      typeof annotations.version === 'string' ? annotations.version : `generated-${this.#generated}`;
    if (version === 'latest')
      return wadmErrorReply('metadata.annotations.version: "latest" is not a version');
    const description = typeof annotations.description === 'string' ? annotations.description : undefined;
    const existing = this.#apps.get(name);
    if (existing?.versions.some((v) => v.version === version))
      return wadmErrorReply(`version ${version} of application ${name} already exists`);
    const app = existing ?? {
      versions: [],
      deployed: undefined,
      status: { status: { type: 'undeployed', message: '' }, scalers: [] },
    };
    app.versions.push({ version, description, document: parsed.document });
    this.#apps.set(name, app);
    return {
      result: existing ? 'newversion' : 'created',
      total_versions: app.versions.length,
      current_version: version,
      name,
      message: `stored version ${version} of application ${name}`,
    };
  }
}
