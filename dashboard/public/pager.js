// One page of a table at a time: a filter box and Previous/Next buttons above it (index.html's
// `.table-tools[data-pager=…]`), so a lattice of 10,000 actors and 20,000 links puts 100 rows in
// the DOM, not 30,000. The table keeps its page while the lattice changes; the filter matches any
// of the words an entry gives (names, keys, contracts, labels).

import { byId } from './dom.js';

export const PAGE_SIZE = 100;

/**
 * @template T
 * @typedef {object} PageView
 * @property {T[]} rows the entries on the page
 * @property {number} total the entries that match the filter
 */

/**
 * @template T
 * @typedef {object} Pager
 * @property {(entries: T[]) => PageView<T>} page the current page of `entries`, and the tools updated to say so
 * @property {() => string} key what decides the page (filter and position), to tell whether it moved
 */

/** @param {number} value */
function count(value) {
  return value.toLocaleString('en-US');
}

/**
 * @template T
 * @param {string} name the table (`data-pager` of its tools)
 * @param {(entry: T) => string[]} words what the filter looks in
 * @param {() => void} onMove called when the filter or the page changes
 * @returns {Pager<T>}
 */
export function createPager(name, words, onMove) {
  const tools = byId(`${name}-tools`);
  const filterInput = /** @type {HTMLInputElement} */ (tools.querySelector('input[data-filter]'));
  const previous = /** @type {HTMLButtonElement} */ (tools.querySelector('button[data-page="previous"]'));
  const next = /** @type {HTMLButtonElement} */ (tools.querySelector('button[data-page="next"]'));
  const info = /** @type {HTMLElement} */ (tools.querySelector('.page-info'));
  let offset = 0;
  let filter = '';
  /** @type {number | undefined} */
  let filterTimer;

  filterInput.addEventListener('input', () => {
    // Typing into a filter over 20,000 links waits for a pause rather than filtering per key.
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => {
      filter = filterInput.value.trim().toLowerCase();
      offset = 0;
      onMove();
    }, 120);
  });
  previous.addEventListener('click', () => {
    offset = Math.max(0, offset - PAGE_SIZE);
    onMove();
  });
  next.addEventListener('click', () => {
    offset += PAGE_SIZE;
    onMove();
  });

  return {
    key: () => `${filter}\u0000${offset}`,
    page(entries) {
      const matching =
        filter === ''
          ? entries
          : entries.filter((entry) => words(entry).some((word) => word.toLowerCase().includes(filter)));
      const total = matching.length;
      // A page past the end (entries went) moves back to the last one.
      if (offset >= total) offset = Math.max(0, Math.floor((total - 1) / PAGE_SIZE) * PAGE_SIZE);
      const rows = matching.slice(offset, offset + PAGE_SIZE);
      const of = filter === '' ? count(total) : `${count(total)} matching (of ${count(entries.length)})`;
      info.textContent =
        total === 0
          ? filter === ''
            ? ''
            : 'none match'
          : `${count(offset + 1)}–${count(offset + rows.length)} of ${of}`;
      previous.disabled = offset === 0;
      next.disabled = offset + PAGE_SIZE >= total;
      // A short table needs no tools, unless a filter is what made it short.
      tools.hidden = entries.length <= PAGE_SIZE && filter === '';
      return { rows, total };
    },
  };
}
