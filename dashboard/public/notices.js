// What happened to each action, shown at the top of the page: "working…" while it runs, then the
// outcome. Successes fade after a while; errors stay until dismissed, since they usually need
// reading (they carry the host's own reason).

import { errorText } from './api.js';
import { el } from './dom.js';

const SUCCESS_VISIBLE_MS = 8_000;

/** @typedef {'working' | 'success' | 'error'} NoticeKind */

/** Where notices go (setupNotices, before any notice). */
/** @type {HTMLElement} */
let container;

/** @param {HTMLElement} element */
export function setupNotices(element) {
  container = element;
}

/**
 * Shows a notice; the returned handle changes it in place (`update`) or removes it.
 * @param {NoticeKind} kind
 * @param {string} text
 */
export function notify(kind, text) {
  const message = el('span', { class: 'notice-text' }, text);
  const close = el('button', { type: 'button', class: 'small', 'aria-label': 'Dismiss' }, '×');
  const notice = el(
    'div',
    { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    message,
    close,
  );
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const remove = () => {
    clearTimeout(timer);
    notice.remove();
  };
  /** @param {NoticeKind} currentKind */
  const schedule = (currentKind) => {
    clearTimeout(timer);
    if (currentKind === 'success') timer = setTimeout(remove, SUCCESS_VISIBLE_MS);
  };
  close.addEventListener('click', remove);
  container.prepend(notice);
  schedule(kind);
  return {
    /**
     * @param {NoticeKind} newKind
     * @param {string} newText
     */
    update(newKind, newText) {
      notice.className = `notice ${newKind}`;
      notice.setAttribute('role', newKind === 'error' ? 'alert' : 'status');
      message.textContent = newText;
      schedule(newKind);
    },
    remove,
  };
}

/**
 * Runs an action with a notice that says it is running, then how it went.
 * @param {string} workingText
 * @param {() => Promise<import('./api.js').ActionReply>} action
 */
export async function withNotice(workingText, action) {
  const notice = notify('working', workingText);
  try {
    const result = await action();
    notice.update('success', result.message ?? 'done');
    return result;
  } catch (error) {
    notice.update('error', errorText(error));
    return undefined;
  }
}
