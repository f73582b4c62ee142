// The dialogs: start an actor or a provider (upload a file or give a reference; a host or an
// auction), define a link (actor and provider chosen from what runs), scale an actor, and confirm
// a stop or a delete. A form stays open with the error (and the named fields marked) until the
// action works; then it closes and the outcome shows as a notice.

import { ApiError, errorText, postJson, uploadFile } from './api.js';
import { byId, el, query, replaceChildren, shortKey } from './dom.js';
import { notify, withNotice } from './notices.js';

/** @typedef {import('../page-data.ts').LatticeSnapshot} LatticeSnapshot */
/** @typedef {import('./api.js').ActionReply} ActionReply */
/** @typedef {import('./tables.js').Names} Names */
/** @typedef {import('./tables.js').TableActions} TableActions */
/** @typedef {(text: string) => void} SetProgress */

/**
 * What the page's buttons do: the tables' actions, the header's start and define buttons, and
 * new choices in the dialogs when the lattice changes.
 * @typedef {object} DialogActions
 * @property {(state: LatticeSnapshot) => void} refreshChoices
 * @property {() => void} openStartActor
 * @property {() => void} openStartProvider
 * @property {() => void} openDefineLink
 * @typedef {TableActions & DialogActions} FormActions
 */

const AUCTION = '';

/**
 * A form's control by name (the named getter of `form.elements`): an input, select or textarea,
 * or the radio buttons sharing that name.
 * @param {HTMLFormElement} form
 * @param {string} name
 * @returns {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | RadioNodeList}
 */
function controlOf(form, name) {
  const control = form.elements.namedItem(name);
  if (control === null) throw new Error(`the form has no field named ${name}`);
  return /** @type {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | RadioNodeList} */ (control);
}

/**
 * One field of a form (not a radio group), checked to be the kind the code expects.
 * @template {HTMLElement} [T=HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement]
 * @param {HTMLFormElement} form
 * @param {string} name
 * @param {{ new (): T; prototype: T; name: string }} [kind]
 * @returns {T}
 */
export function fieldOf(form, name, kind) {
  const field = controlOf(form, name);
  if (field instanceof RadioNodeList || (kind && !(field instanceof kind)))
    throw new Error(`the form's field ${name} is not a ${kind?.name ?? 'single field'}`);
  return /** @type {T} */ (/** @type {unknown} */ (field));
}

/**
 * What a form's control holds now (a radio group: the checked button's value).
 * @param {HTMLFormElement} form
 * @param {string} name
 */
export function fieldValue(form, name) {
  return controlOf(form, name).value;
}

/**
 * Refills a select's options, keeping the chosen value when it is still offered.
 * @param {HTMLSelectElement} select
 * @param {Array<[string, string]>} options
 * @param {[string, string]} [placeholder]
 */
function fillSelect(select, options, placeholder) {
  const chosen = select.value;
  const elements = options.map(([value, text]) => el('option', { value }, text));
  if (placeholder) elements.unshift(el('option', { value: placeholder[0] }, placeholder[1]));
  replaceChildren(select, elements);
  if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
}

/**
 * @param {LatticeSnapshot} state
 * @returns {Array<[string, string]>}
 */
function hostOptions(state) {
  return state.hosts.map((host) => [
    host.id,
    `${host.friendly_name} (${shortKey(host.id)})${host.local ? ' · this host' : ''}`,
  ]);
}

/**
 * Shows an error in a form and marks the fields the API named.
 * @param {HTMLFormElement} form
 * @param {ApiError} error
 */
function showFormError(form, error) {
  const box = query(form, '.form-error');
  box.textContent = error.message;
  box.hidden = false;
  for (const issue of error.issues ?? []) {
    const name = String(issue.path ?? '').split('.')[0];
    const field = name ? form.querySelector(`[name="${CSS.escape(name)}"]`) : null;
    field?.setAttribute('aria-invalid', 'true');
  }
}

/** @param {HTMLFormElement} form */
function clearFormError(form) {
  const box = query(form, '.form-error');
  box.textContent = '';
  box.hidden = true;
  for (const field of form.querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
}

/**
 * Submits `form` through `action`; closes the dialog and shows the outcome when it works.
 * @param {HTMLDialogElement} dialog
 * @param {(form: HTMLFormElement, setProgress: SetProgress) => Promise<ActionReply>} action
 */
export function wireDialog(dialog, action) {
  const form = query(dialog, 'form', HTMLFormElement);
  const submit = query(form, 'button[type="submit"]', HTMLButtonElement);
  const progress = query(form, '.form-progress');
  /** @type {SetProgress} */
  const setProgress = (text) => {
    progress.textContent = text;
  };
  for (const cancel of form.querySelectorAll('button[data-cancel]')) {
    cancel.addEventListener('click', () => dialog.close());
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFormError(form);
    submit.disabled = true;
    setProgress('Working…');
    try {
      const result = await action(form, setProgress);
      dialog.close();
      notify('success', result.message);
    } catch (error) {
      showFormError(form, error instanceof ApiError ? error : new ApiError(errorText(error)));
    } finally {
      submit.disabled = false;
      setProgress('');
    }
  });
  dialog.addEventListener('close', () => clearFormError(form));
  return form;
}

/**
 * Shows the file, the reference or (providers) the built-in input, as the source radio says.
 * @param {HTMLFormElement} form
 */
function wireSourceToggle(form) {
  const update = () => {
    const source = fieldValue(form, 'source');
    query(form, '.source-file').hidden = source !== 'file';
    query(form, '.source-ref').hidden = source !== 'ref';
    const builtin = form.querySelector('.source-builtin');
    if (builtin instanceof HTMLElement) builtin.hidden = source !== 'builtin';
  };
  for (const radio of form.querySelectorAll('input[name="source"]')) radio.addEventListener('change', update);
  update();
}

/**
 * Constraints apply to an auction only.
 * @param {HTMLFormElement} form
 */
function wireAuctionToggle(form) {
  const update = () => {
    fieldOf(form, 'constraints').disabled = fieldValue(form, 'host_id') !== AUCTION;
  };
  fieldOf(form, 'host_id').addEventListener('change', update);
  update();
  return update;
}

/**
 * @param {HTMLFormElement} form
 * @param {'actor' | 'provider'} kind
 * @param {SetProgress} setProgress
 */
async function chosenSource(form, kind, setProgress) {
  if (fieldValue(form, 'source') === 'file') {
    const file = fieldOf(form, 'file', HTMLInputElement).files?.[0];
    if (!file) {
      throw new ApiError(
        `choose a ${kind === 'actor' ? 'signed .wasm file' : 'provider archive (.par.gz)'} to upload`,
        'NO_FILE',
        [{ path: 'file', message: 'no file chosen' }],
      );
    }
    setProgress(`Uploading ${file.name}…`);
    const upload = await uploadFile(kind, file);
    setProgress(`Starting ${upload.name}…`);
    return { upload_id: upload.upload_id };
  }
  setProgress('Starting…');
  if (kind === 'provider' && fieldValue(form, 'source') === 'builtin')
    return { provider_ref: fieldValue(form, 'builtin_ref') };
  const field = kind === 'actor' ? 'actor_ref' : 'provider_ref';
  return { [field]: fieldValue(form, field) };
}

/** @param {HTMLFormElement} form */
function placement(form) {
  const hostId = fieldValue(form, 'host_id');
  return hostId === AUCTION ? { constraints: fieldValue(form, 'constraints') } : { host_id: hostId };
}

/**
 * A yes/no question in a dialog; resolves true when confirmed.
 * @param {string} question
 * @param {string} confirmText
 * @returns {Promise<boolean>}
 */
export function confirmAction(question, confirmText) {
  const dialog = byId('confirm-dialog', HTMLDialogElement);
  byId('confirm-text').textContent = question;
  const confirm = byId('confirm-ok');
  confirm.textContent = confirmText;
  return new Promise((resolve) => {
    const onClose = () => {
      dialog.removeEventListener('close', onClose);
      resolve(dialog.returnValue === 'ok');
    };
    dialog.returnValue = '';
    dialog.addEventListener('close', onClose);
    dialog.showModal();
  });
}

/**
 * @param {() => LatticeSnapshot} getState
 * @param {Names} names
 */
export function setupForms(getState, names) {
  const startActor = byId('start-actor-dialog', HTMLDialogElement);
  const startProvider = byId('start-provider-dialog', HTMLDialogElement);
  const defineLink = byId('define-link-dialog', HTMLDialogElement);
  const scaleActor = byId('scale-actor-dialog', HTMLDialogElement);
  const confirmDialog = byId('confirm-dialog', HTMLDialogElement);
  byId('confirm-ok').addEventListener('click', () => confirmDialog.close('ok'));
  byId('confirm-cancel').addEventListener('click', () => confirmDialog.close('cancel'));

  const actorForm = wireDialog(startActor, async (form, setProgress) => {
    const source = await chosenSource(form, 'actor', setProgress);
    return postJson('/api/actors', {
      ...source,
      ...placement(form),
      count: Number(fieldValue(form, 'count')),
    });
  });
  wireSourceToggle(actorForm);
  const actorAuction = wireAuctionToggle(actorForm);

  const providerForm = wireDialog(startProvider, async (form, setProgress) => {
    const source = await chosenSource(form, 'provider', setProgress);
    const configuration = fieldValue(form, 'configuration').trim();
    return postJson('/api/providers', {
      ...source,
      ...placement(form),
      link_name: fieldValue(form, 'link_name'),
      ...(configuration === '' ? {} : { configuration }),
    });
  });
  wireSourceToggle(providerForm);
  const providerAuction = wireAuctionToggle(providerForm);

  const linkForm = wireDialog(defineLink, (form) => {
    const [providerId] = fieldValue(form, 'provider_id').split('|');
    return postJson('/api/links', {
      actor_id: fieldValue(form, 'actor_id'),
      provider_id: providerId ?? '',
      contract_id: fieldValue(form, 'contract_id'),
      link_name: fieldValue(form, 'link_name'),
      values: fieldValue(form, 'values'),
    });
  });
  // Choosing a provider fills in its contract and link name.
  fieldOf(linkForm, 'provider_id').addEventListener('change', () => {
    const [id, linkName] = fieldValue(linkForm, 'provider_id').split('|');
    const provider = getState().providers.find((p) => p.id === id && p.link_name === linkName);
    if (provider) {
      fieldOf(linkForm, 'contract_id').value = provider.contract_id;
      fieldOf(linkForm, 'link_name').value = provider.link_name;
    }
  });

  /** The instance the scale dialog is open for (set before it opens). */
  /** @type {{ actorId: string; hostId: string } | undefined} */
  let scaling;
  const scaleForm = wireDialog(scaleActor, (form) =>
    postJson('/api/actors/scale', {
      host_id: scaling?.hostId,
      actor_id: scaling?.actorId,
      count: Number(fieldValue(form, 'count')),
    }),
  );

  /**
   * New hosts, actors and providers become choices at once, even in an open dialog.
   * @param {LatticeSnapshot} state
   */
  function refreshChoices(state) {
    const hosts = hostOptions(state);
    fillSelect(fieldOf(actorForm, 'host_id', HTMLSelectElement), hosts, [AUCTION, 'Any host (auction)']);
    fillSelect(fieldOf(providerForm, 'host_id', HTMLSelectElement), hosts, [AUCTION, 'Any host (auction)']);
    actorAuction();
    providerAuction();
    fillSelect(
      fieldOf(linkForm, 'actor_id', HTMLSelectElement),
      state.actors.map((actor) => [actor.id, `${actor.name} (${shortKey(actor.id)})`]),
      ['', state.actors.length > 0 ? 'Choose an actor' : 'No actor runs yet'],
    );
    fillSelect(
      fieldOf(linkForm, 'provider_id', HTMLSelectElement),
      state.providers.map((p) => [
        `${p.id}|${p.link_name}`,
        `${p.name} — ${p.contract_id} (link ${p.link_name})`,
      ]),
      ['', state.providers.length > 0 ? 'Choose a provider' : 'No provider runs yet'],
    );
  }

  /** @type {FormActions} */
  const actions = {
    refreshChoices,
    openStartActor: () => startActor.showModal(),
    openStartProvider: () => startProvider.showModal(),
    openDefineLink: () => defineLink.showModal(),
    scaleActor(actor, instance) {
      scaling = { actorId: actor.id, hostId: instance.host_id };
      byId('scale-actor-what').textContent = `${actor.name} on ${names.host(instance.host_id)}`;
      fieldOf(scaleForm, 'count').value = String(instance.count);
      scaleActor.showModal();
    },
    async stopActor(actor, instance) {
      const host = names.host(instance.host_id);
      if (!(await confirmAction(`Stop every instance of ${actor.name} on ${host}?`, 'Stop actor'))) return;
      await withNotice(`Stopping ${actor.name} on ${host}…`, () =>
        postJson('/api/actors/stop', { host_id: instance.host_id, actor_id: actor.id, count: 0 }),
      );
    },
    async stopProvider(provider, entry) {
      const host = names.host(entry.host_id);
      const what = `${provider.name} (link ${provider.link_name})`;
      if (!(await confirmAction(`Stop ${what} on ${host}?`, 'Stop provider'))) return;
      await withNotice(`Stopping ${what} on ${host}…`, () =>
        postJson('/api/providers/stop', {
          host_id: entry.host_id,
          provider_id: provider.id,
          link_name: provider.link_name,
          contract_id: provider.contract_id,
        }),
      );
    },
    async deleteLink(link) {
      const what = `link ${link.link_name} (${link.contract_id}) from ${link.actor_name} to ${link.provider_name}`;
      if (!(await confirmAction(`Delete the ${what}?`, 'Delete link'))) return;
      await withNotice(`Deleting the ${what}…`, () =>
        postJson('/api/links/delete', {
          actor_id: link.actor_id,
          contract_id: link.contract_id,
          link_name: link.link_name,
        }),
      );
    },
  };
  return actions;
}
