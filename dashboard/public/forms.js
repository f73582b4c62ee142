// The dialogs: start an actor or a provider (upload a file or give a reference; a host or an
// auction), define a link (actor and provider chosen from what runs), scale an actor, and confirm
// a stop or a delete. A form stays open with the error (and the named fields marked) until the
// action works; then it closes and the outcome shows as a notice.

import { ApiError, postJson, uploadFile } from './api.js';
import { el, replaceChildren, shortKey } from './dom.js';
import { notify, withNotice } from './notices.js';

const AUCTION = '';

function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}

/** Refills a select's options, keeping the chosen value when it is still offered. */
function fillSelect(select, options, placeholder) {
  const chosen = select.value;
  const elements = options.map(([value, text]) => el('option', { value }, text));
  if (placeholder) elements.unshift(el('option', { value: placeholder[0] }, placeholder[1]));
  replaceChildren(select, elements);
  if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
}

function hostOptions(state) {
  return state.hosts.map((host) => [
    host.id,
    `${host.friendly_name} (${shortKey(host.id)})${host.local ? ' · this host' : ''}`,
  ]);
}

/** Shows an error in a form and marks the fields the API named. */
function showFormError(form, error) {
  const box = form.querySelector('.form-error');
  box.textContent = error.message;
  box.hidden = false;
  for (const issue of error.issues ?? []) {
    const name = String(issue.path ?? '').split('.')[0];
    const field = name ? form.querySelector(`[name="${CSS.escape(name)}"]`) : null;
    field?.setAttribute('aria-invalid', 'true');
  }
}

function clearFormError(form) {
  const box = form.querySelector('.form-error');
  box.textContent = '';
  box.hidden = true;
  for (const field of form.querySelectorAll('[aria-invalid]')) field.removeAttribute('aria-invalid');
}

/** Submits `form` through `action`; closes the dialog and shows the outcome when it works. */
function wireDialog(dialog, action) {
  const form = dialog.querySelector('form');
  const submit = form.querySelector('button[type="submit"]');
  const progress = form.querySelector('.form-progress');
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
      showFormError(form, error instanceof ApiError ? error : new ApiError(String(error?.message ?? error)));
    } finally {
      submit.disabled = false;
      setProgress('');
    }
  });
  dialog.addEventListener('close', () => clearFormError(form));
  return form;
}

/** Shows the file or the reference input, as the source radio says. */
function wireSourceToggle(form) {
  const update = () => {
    const fromFile = form.elements.source.value === 'file';
    form.querySelector('.source-file').hidden = !fromFile;
    form.querySelector('.source-ref').hidden = fromFile;
  };
  for (const radio of form.querySelectorAll('input[name="source"]')) radio.addEventListener('change', update);
  update();
}

/** Constraints apply to an auction only. */
function wireAuctionToggle(form) {
  const update = () => {
    form.elements.constraints.disabled = form.elements.host_id.value !== AUCTION;
  };
  form.elements.host_id.addEventListener('change', update);
  update();
  return update;
}

async function chosenSource(form, kind, setProgress) {
  if (form.elements.source.value === 'file') {
    const file = form.elements.file.files[0];
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
  const field = kind === 'actor' ? 'actor_ref' : 'provider_ref';
  return { [field]: form.elements[field].value };
}

function placement(form) {
  const hostId = form.elements.host_id.value;
  return hostId === AUCTION ? { constraints: form.elements.constraints.value } : { host_id: hostId };
}

/** A yes/no question in a dialog; resolves true when confirmed. */
function confirmAction(question, confirmText) {
  const dialog = byId('confirm-dialog');
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

export function setupForms(getState, names) {
  const startActor = byId('start-actor-dialog');
  const startProvider = byId('start-provider-dialog');
  const defineLink = byId('define-link-dialog');
  const scaleActor = byId('scale-actor-dialog');
  byId('confirm-ok').addEventListener('click', () => byId('confirm-dialog').close('ok'));
  byId('confirm-cancel').addEventListener('click', () => byId('confirm-dialog').close('cancel'));

  const actorForm = wireDialog(startActor, async (form, setProgress) => {
    const source = await chosenSource(form, 'actor', setProgress);
    return postJson('/api/actors', {
      ...source,
      ...placement(form),
      count: Number(form.elements.count.value),
    });
  });
  wireSourceToggle(actorForm);
  const actorAuction = wireAuctionToggle(actorForm);

  const providerForm = wireDialog(startProvider, async (form, setProgress) => {
    const source = await chosenSource(form, 'provider', setProgress);
    const configuration = form.elements.configuration.value.trim();
    return postJson('/api/providers', {
      ...source,
      ...placement(form),
      link_name: form.elements.link_name.value,
      ...(configuration === '' ? {} : { configuration }),
    });
  });
  wireSourceToggle(providerForm);
  const providerAuction = wireAuctionToggle(providerForm);

  const linkForm = wireDialog(defineLink, (form) => {
    const [providerId] = form.elements.provider_id.value.split('|');
    return postJson('/api/links', {
      actor_id: form.elements.actor_id.value,
      provider_id: providerId ?? '',
      contract_id: form.elements.contract_id.value,
      link_name: form.elements.link_name.value,
      values: form.elements.values.value,
    });
  });
  // Choosing a provider fills in its contract and link name.
  linkForm.elements.provider_id.addEventListener('change', () => {
    const [id, linkName] = linkForm.elements.provider_id.value.split('|');
    const provider = getState().providers.find((p) => p.id === id && p.link_name === linkName);
    if (provider) {
      linkForm.elements.contract_id.value = provider.contract_id;
      linkForm.elements.link_name.value = provider.link_name;
    }
  });

  let scaling;
  const scaleForm = wireDialog(scaleActor, (form) =>
    postJson('/api/actors/scale', {
      host_id: scaling.hostId,
      actor_id: scaling.actorId,
      count: Number(form.elements.count.value),
    }),
  );

  /** New hosts, actors and providers become choices at once, even in an open dialog. */
  function refreshChoices(state) {
    const hosts = hostOptions(state);
    fillSelect(actorForm.elements.host_id, hosts, [AUCTION, 'Any host (auction)']);
    fillSelect(providerForm.elements.host_id, hosts, [AUCTION, 'Any host (auction)']);
    actorAuction();
    providerAuction();
    fillSelect(
      linkForm.elements.actor_id,
      state.actors.map((actor) => [actor.id, `${actor.name} (${shortKey(actor.id)})`]),
      ['', state.actors.length > 0 ? 'Choose an actor' : 'No actor runs yet'],
    );
    fillSelect(
      linkForm.elements.provider_id,
      state.providers.map((p) => [
        `${p.id}|${p.link_name}`,
        `${p.name} — ${p.contract_id} (link ${p.link_name})`,
      ]),
      ['', state.providers.length > 0 ? 'Choose a provider' : 'No provider runs yet'],
    );
  }

  return {
    refreshChoices,
    openStartActor: () => startActor.showModal(),
    openStartProvider: () => startProvider.showModal(),
    openDefineLink: () => defineLink.showModal(),
    scaleActor(actor, instance) {
      scaling = { actorId: actor.id, hostId: instance.host_id };
      byId('scale-actor-what').textContent = `${actor.name} on ${names.host(instance.host_id)}`;
      scaleForm.elements.count.value = String(instance.count);
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
}
