// Small helpers to build the page from data. Everything from the lattice (names, labels, errors) is
// set as text, never parsed as markup, so an actor named "<script>" is shown, not run.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** @typedef {Node | string | number | null | undefined | false} Leaf */
/** A child given to `el`/`svg`: a node, text, nothing, or a list of those (flattened one level). */
/** @typedef {Leaf | Leaf[]} Child */
/** Attributes; `on…` functions become listeners, `true` an empty attribute, nothing/false none. */
/** @typedef {Record<string, string | number | boolean | null | undefined | ((event: Event) => unknown)>} Attributes */

/**
 * @template {Element} E
 * @param {E} parent
 * @param {Child[]} children
 * @returns {E}
 */
function append(parent, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return parent;
}

/**
 * @param {Element} element
 * @param {Attributes | undefined} attributes
 */
function applyAttributes(element, attributes) {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

/**
 * An HTML element: `el('td', { class: 'key' }, 'text', child)`.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attributes} [attributes]
 * @param {Child[]} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attributes, ...children) {
  const element = document.createElement(tag);
  applyAttributes(element, attributes);
  return append(element, children);
}

/**
 * An SVG element, as `el`.
 * @template {keyof SVGElementTagNameMap} K
 * @param {K} tag
 * @param {Attributes} [attributes]
 * @param {Child[]} children
 * @returns {SVGElementTagNameMap[K]}
 */
export function svg(tag, attributes, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  applyAttributes(element, attributes);
  return append(element, children);
}

/**
 * Replaces an element's children.
 * @template {Element} E
 * @param {E} element
 * @param {Child[]} children
 * @returns {E}
 */
export function replaceChildren(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

/**
 * The page's element with that id, checked to be the kind the code expects.
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @param {{ new (): T; prototype: T; name: string }} [kind]
 * @returns {T}
 */
export function byId(id, kind) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  if (kind && !(element instanceof kind)) throw new Error(`#${id} is not a ${kind.name}`);
  return /** @type {T} */ (element);
}

/**
 * The first element under `root` that `selector` finds, checked to be the kind the code expects.
 * @template {Element} [T=HTMLElement]
 * @param {ParentNode} root
 * @param {string} selector
 * @param {{ new (): T; prototype: T; name: string }} [kind]
 * @returns {T}
 */
export function query(root, selector, kind) {
  const element = root.querySelector(selector);
  if (!element) throw new Error(`the page has no ${selector} here`);
  const expected = kind ?? HTMLElement;
  if (!(element instanceof expected)) throw new Error(`${selector} is not a ${expected.name}`);
  return /** @type {T} */ (element);
}

/**
 * "MBCFOPM6…ZOQX": enough of a key to tell keys apart at a glance.
 * @param {unknown} key
 */
export function shortKey(key) {
  return typeof key === 'string' && key.length > 16 ? `${key.slice(0, 8)}…${key.slice(-4)}` : String(key);
}

/**
 * "1d 2h", "3m 4s", as a person reads uptime.
 * @param {number} seconds
 */
export function humanDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s % 60}s`;
}

/**
 * "14:03:22" in the viewer's time zone.
 * @param {string} iso
 */
export function clockTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString();
}

const SECRET_KEY = /seed|secret|password|passwd|token|jwt|private|credential|api_?key/i;

/**
 * Link values as shown: keys that usually hold secrets are masked.
 * @param {string} key
 * @param {string} value
 */
export function displayValue(key, value) {
  return SECRET_KEY.test(key) && value !== '' ? '••••••' : value;
}

/**
 * A key with a button that copies the whole of it.
 * @param {string} key
 */
export function copyableKey(key) {
  const button = el(
    'button',
    {
      type: 'button',
      class: 'copy',
      title: `Copy ${key}`,
      'aria-label': `Copy ${key}`,
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(key);
          button.textContent = 'copied';
        } catch {
          button.textContent = 'copy failed';
        }
        setTimeout(() => {
          button.textContent = 'copy';
        }, 1500);
      },
    },
    'copy',
  );
  return el('span', { class: 'key' }, el('code', { title: key }, shortKey(key)), button);
}
