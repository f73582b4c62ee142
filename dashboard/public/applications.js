// The Applications section: what the lattice's application controller keeps (docs/dashboard.md),
// each application with its version, the deployed version, its status in colour and words, what
// runs for it, and its scalers (expandable) with their reasons; buttons to deploy, undeploy and
// delete (confirmed), and the dialog that uploads a manifest. Redrawn from each `state` event.

import { ApiError, postJson } from './api.js';
import { byId, el, replaceChildren, shortKey } from './dom.js';
import { confirmAction, fieldOf, fieldValue, wireDialog } from './forms.js';
import { withNotice } from './notices.js';
import { button } from './tables.js';

/** @typedef {import('../page-data.ts').LatticeSnapshot} LatticeSnapshot */
/** @typedef {import('../page-data.ts').ApplicationSummary} ApplicationSummary */
/** @typedef {import('../page-data.ts').ApplicationsState} ApplicationsState */
/** @typedef {import('../page-data.ts').AppStatusType} AppStatusType */

/**
 * What the section's buttons do.
 * @typedef {object} ApplicationActions
 * @property {(app: ApplicationSummary) => Promise<void>} deploy
 * @property {(app: ApplicationSummary) => Promise<void>} undeploy
 * @property {(app: ApplicationSummary) => Promise<void>} remove
 * @property {() => void} openUpload
 */

/** The applications whose scalers are shown; kept across redraws. */
const expanded = new Set();

/**
 * The URL of one application's action.
 * @param {string} name
 * @param {'deploy' | 'undeploy' | 'delete'} action
 */
function actionPath(name, action) {
  return `/api/applications/${encodeURIComponent(name)}/${action}`;
}

/** @param {AppStatusType} type */
function statusBadge(type) {
  return el('span', { class: `badge status status-${type}` }, type);
}

/**
 * The controller's state above the table: nothing while it answers.
 * @param {HTMLElement} line
 * @param {ApplicationsState} apps
 */
export function renderControllerStatus(line, apps) {
  line.dataset.state = apps.controller;
  if (apps.controller === 'running') {
    line.hidden = true;
    line.textContent = '';
    return;
  }
  line.hidden = false;
  if (apps.controller === 'unknown') line.textContent = 'Asking the application controller…';
  else if (apps.controller === 'absent')
    line.textContent = `${apps.message ?? 'no application controller is running in this lattice'}. Start one (wash up starts one by default) to deploy applications.`;
  else line.textContent = `The application controller cannot be asked: ${apps.message ?? 'no reason known'}`;
}

/** @typedef {import('../page-data.ts').ActorSummary} ActorSummary */
/** @typedef {import('../page-data.ts').ProviderSummary} ProviderSummary */
/** The lattice's actors and providers by key, looked up once per member rather than searched for. */
/** @typedef {{ actors: Map<string, ActorSummary>; providers: Map<string, ProviderSummary> }} ByKey */

/**
 * What runs for an application, by name.
 * @param {ApplicationSummary} app
 * @param {ByKey} byKey
 */
function members(app, byKey) {
  const actors = app.actors.map((id) => {
    const actor = byKey.actors.get(id);
    return el(
      'span',
      { class: 'chip member actor', 'data-actor-id': id, title: id },
      `actor ${actor?.name ?? shortKey(id)}${actor ? ` ×${actor.total_instances}` : ''}`,
    );
  });
  const providers = app.providers.map((key) => {
    const provider = byKey.providers.get(key);
    const [id] = key.split('|');
    return el(
      'span',
      { class: 'chip member provider', 'data-provider-id': id ?? key, title: key },
      `provider ${provider?.name ?? shortKey(id)}`,
    );
  });
  const all = [...actors, ...providers];
  return all.length > 0 ? all : el('span', { class: 'muted' }, 'nothing');
}

/**
 * The row of scalers under an application, shown while expanded.
 * @param {ApplicationSummary} app
 */
function scalerRow(app) {
  const rows = app.scalers.map((scaler) =>
    el(
      'tr',
      { 'data-scaler-id': scaler.id },
      el('td', {}, scaler.kind),
      el('td', {}, scaler.name),
      el('td', {}, statusBadge(scaler.status)),
      el('td', { class: 'reason' }, scaler.message || el('span', { class: 'muted' }, '—')),
    ),
  );
  return el(
    'tr',
    { class: 'app-scalers', 'data-app': app.name, hidden: !expanded.has(app.name) },
    el(
      'td',
      { colspan: 6 },
      rows.length > 0
        ? el(
            'table',
            { class: 'scalers' },
            el(
              'thead',
              {},
              el(
                'tr',
                {},
                el('th', {}, 'Kind'),
                el('th', {}, 'Name'),
                el('th', {}, 'Status'),
                el('th', {}, 'Reason'),
              ),
            ),
            el('tbody', {}, rows),
          )
        : el('span', { class: 'muted' }, 'No scalers: the application is not deployed.'),
    ),
  );
}

/**
 * @param {HTMLElement} tbody
 * @param {LatticeSnapshot} state
 * @param {ApplicationActions} actions
 */
export function renderApplications(tbody, state, actions) {
  const apps = state.applications;
  const anyMembers = apps.applications.some((app) => app.actors.length + app.providers.length > 0);
  /** @type {ByKey} */
  const byKey = {
    actors: new Map(anyMembers ? state.actors.map((actor) => [actor.id, actor]) : []),
    providers: new Map(anyMembers ? state.providers.map((p) => [`${p.id}|${p.link_name}`, p]) : []),
  };
  const rows = apps.applications.flatMap((app) => {
    const scalers = scalerRow(app);
    const toggle = el(
      'button',
      {
        type: 'button',
        class: 'small toggle',
        'aria-expanded': String(expanded.has(app.name)),
        title: 'Show or hide its scalers',
      },
      `${expanded.has(app.name) ? '▾' : '▸'} ${app.scalers.length} scaler${app.scalers.length === 1 ? '' : 's'}`,
    );
    toggle.addEventListener('click', () => {
      const open = !expanded.has(app.name);
      if (open) expanded.add(app.name);
      else expanded.delete(app.name);
      scalers.hidden = !open;
      toggle.setAttribute('aria-expanded', String(open));
      toggle.textContent = `${open ? '▾' : '▸'} ${app.scalers.length} scaler${app.scalers.length === 1 ? '' : 's'}`;
    });
    const deployed = app.deployed_version !== null;
    const main = el(
      'tr',
      { class: 'app', 'data-app': app.name, 'data-status': app.status },
      el(
        'td',
        {},
        el('strong', {}, app.name),
        app.description ? el('div', { class: 'muted' }, app.description) : null,
      ),
      el('td', {}, el('code', {}, app.version)),
      el(
        'td',
        { class: 'deployed-version' },
        deployed ? el('code', {}, app.deployed_version) : el('span', { class: 'muted' }, 'not deployed'),
      ),
      el(
        'td',
        { class: 'app-status' },
        statusBadge(app.status),
        app.status_message
          ? el('div', { class: `status-message status-${app.status}` }, app.status_message)
          : null,
        el('div', {}, toggle),
      ),
      el('td', { class: 'labels' }, members(app, byKey)),
      el(
        'td',
        { class: 'app-actions' },
        button('Deploy', `Deploy version ${app.version}`, () => actions.deploy(app)),
        button(
          'Undeploy',
          deployed ? 'Stop what the controller started for it' : 'It is not deployed',
          () => actions.undeploy(app),
          'danger',
          !deployed,
        ),
        button('Delete', 'Delete every version of it', () => actions.remove(app), 'danger'),
      ),
    );
    return [main, scalers];
  });
  const empty =
    apps.controller === 'running'
      ? 'No application is stored yet: upload a manifest.'
      : apps.controller === 'unknown'
        ? 'Asking the application controller…'
        : 'No application controller answers in this lattice.';
  replaceChildren(
    tbody,
    rows.length > 0 ? rows : el('tr', { class: 'empty' }, el('td', { colspan: 6 }, empty)),
  );
}

/**
 * Wires the upload dialog and returns what the section's buttons do.
 * @returns {ApplicationActions}
 */
export function setupApplications() {
  const dialog = byId('upload-manifest-dialog', HTMLDialogElement);
  const form = wireDialog(dialog, async (form, setProgress) => {
    const manifest = fieldValue(form, 'manifest');
    if (manifest.trim() === '') {
      throw new ApiError('choose a manifest file or paste a manifest', 'NO_MANIFEST', [
        { path: 'manifest', message: 'no manifest given' },
      ]);
    }
    const deploy = fieldOf(form, 'deploy', HTMLInputElement).checked;
    setProgress(deploy ? 'Storing and deploying…' : 'Storing…');
    const result = await postJson('/api/applications', { manifest, deploy });
    form.reset();
    return result;
  });
  // A chosen file's text goes into the text area, where it can be read and changed before sending.
  const file = fieldOf(form, 'file', HTMLInputElement);
  file.addEventListener('change', async () => {
    const chosen = file.files?.[0];
    if (chosen) fieldOf(form, 'manifest', HTMLTextAreaElement).value = await chosen.text();
  });

  return {
    openUpload: () => dialog.showModal(),
    async deploy(app) {
      await withNotice(`Deploying ${app.name} version ${app.version}…`, () =>
        postJson(actionPath(app.name, 'deploy'), { version: app.version }),
      );
    },
    async undeploy(app) {
      const question = `Undeploy ${app.name}? The controller stops every actor and provider it started for it and deletes its links.`;
      if (!(await confirmAction(question, 'Undeploy'))) return;
      await withNotice(`Undeploying ${app.name}…`, () => postJson(actionPath(app.name, 'undeploy'), {}));
    },
    async remove(app) {
      const question = `Delete application ${app.name}, every version of it?${app.deployed_version ? ' It is deployed: the controller undeploys it first.' : ''}`;
      if (!(await confirmAction(question, 'Delete application'))) return;
      await withNotice(`Deleting ${app.name}…`, () => postJson(actionPath(app.name, 'delete'), {}));
    },
  };
}
