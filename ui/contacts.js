// Contacts view: searchable list on the left, the selected contact's form on the right.
// Number rows validate live through check_number; the backend stays the authority on save.
import { invoke, listen } from './api.js';
import { h, $, $$, debounce } from './dom.js';
import { t, onLanguageChange, applyStatic } from './i18n.js';
import { icon } from './icons.js';
import { confirmDialog, toast, errorText, copyText } from './feedback.js';
import * as fmt from './format.js';

/** The label codes the core stores for the usual labels, in the order the form offers them. */
const LABEL_CODES = ['work', 'mobile', 'main', 'home', 'fax', 'pager', 'other'];

/** A stored label as the reader says it: a code in the window's language, else as typed. */
function labelText(label) {
  return LABEL_CODES.includes(label) ? t(`label.${label}`) : label;
}

const state = {
  pages: new Map(), // page index -> the contacts on it, as far as loaded
  loading: new Set(), // page indexes being fetched
  search: '',
  selected: null, // null: nothing open; 'new': unsaved form; number: contact id
  edited: false, // the open form has changes not saved yet
  seq: 0,
  loaded: false,
  total: 0, // contacts the search finds (the whole book without one)
};

/** Contacts per fetched page. */
const PAGE = 200;
/** The height of one list row in px: fixed (style.css, .contact-item), so the list can
 * draw only the rows in view and still scroll through the whole book. */
const ROW_HEIGHT = 50;
/** Rows drawn above and below the visible ones, so scrolling and arrow keys find them ready. */
const OVERSCAN = 12;

/** The contact at list position `index`, when its page is loaded. */
function contactAt(index) {
  return state.pages.get(Math.floor(index / PAGE))?.[index % PAGE] || null;
}

export function initContacts() {
  const search = $('#contact-search');
  search.addEventListener('input', debounce(() => {
    state.search = search.value;
    // A new search starts at the top, not where the last list was scrolled to.
    $('#contact-list').scrollTop = 0;
    reloadContacts();
  }, 200));

  $('#contact-new').addEventListener('click', () => newContact());
  $('#number-add').addEventListener('click', () => {
    const row = numberRow({ label: '', number: '', switchboard: false });
    $('#number-rows').append(row);
    $('.number-input', row).focus();
  });
  $('#contact-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    saveContact();
  });
  $('#contact-form').addEventListener('input', () => {
    state.edited = true;
    setStatus('');
  });
  $('#contact-delete').addEventListener('click', deleteContact);

  const list = $('#contact-list');
  list.addEventListener('click', (ev) => {
    const item = ev.target.closest('.contact-item');
    if (item) openContact(Number(item.dataset.contactId));
  });
  list.addEventListener('keydown', onListKey);
  // Only the rows in view exist: scrolling or resizing draws the ones that come into view.
  // Scroll events come at most once a frame already; drawing at once keeps the rows in step
  // with the scroll position even where animation frames are held back (a hidden window).
  list.addEventListener('scroll', () => renderList());
  new ResizeObserver(() => renderList()).observe(list);

  listen('contacts://changed', debounce(() => {
    reloadContacts();
    refreshShared();
  }, 100));
  $('#contacts-shared').addEventListener('click', (ev) => {
    const link = ev.target.closest('[data-contact-id]');
    if (link) openContact(Number(link.dataset.contactId));
  });
  refreshShared();
  onLanguageChange(() => {
    renderShared();
    renderLabelOptions();
    renderList();
    renderFormTitle();
    retranslateRowMessages();
  });
  renderLabelOptions();
}

export function focusSearch() {
  const search = $('#contact-search');
  search.focus();
  search.select();
}

/**
 * Numbers more than one contact has, left from books older than the one-owner rule: listed
 * above the contacts until each has one owner again.
 */
async function refreshShared() {
  try {
    state.shared = await invoke('shared_numbers');
  } catch (err) {
    state.shared = [];
    toast(errorText(err), 'error');
  }
  renderShared();
}

function renderShared() {
  const box = $('#contacts-shared');
  const shared = state.shared || [];
  box.hidden = shared.length === 0;
  if (!shared.length) {
    box.replaceChildren();
    return;
  }
  box.replaceChildren(
    h('p', { text: t('contacts.sharedTitle', { count: shared.length }) }),
    h('ul', {}, ...shared.map((number) => h('li', {},
      h('span', { class: 'mono', text: `${number.display}: ` }),
      ...number.contacts.flatMap((c, i) => [
        i ? ', ' : '',
        h('button', { type: 'button', class: 'btn-link', dataset: { contactId: String(c.id) }, text: c.name }),
      ])))),
    h('p', { class: 'help', text: t('contacts.sharedHelp') }));
}

export async function reloadContacts() {
  const seq = ++state.seq;
  try {
    const page = await invoke('contacts_page', { search: state.search.trim(), offset: 0, limit: PAGE });
    if (seq !== state.seq) return;
    state.pages = new Map([[0, page.contacts]]);
    state.loading = new Set();
    state.total = page.total;
    state.loaded = true;
  } catch (err) {
    if (seq !== state.seq) return;
    toast(errorText(err), 'error');
  }
  renderList();
}

/** Fetches the pages holding list positions `first` to `last` that are not loaded yet. */
function loadPages(first, last) {
  const seq = state.seq;
  for (let index = Math.floor(first / PAGE); index * PAGE < last; index++) {
    if (state.pages.has(index) || state.loading.has(index)) continue;
    state.loading.add(index);
    invoke('contacts_page', { search: state.search.trim(), offset: index * PAGE, limit: PAGE })
      .then((page) => {
        if (seq !== state.seq) return;
        state.pages.set(index, page.contacts);
        state.total = page.total;
        renderList();
      })
      .catch((err) => toast(errorText(err), 'error'))
      .finally(() => { if (seq === state.seq) state.loading.delete(index); });
  }
}

/** Opens a saved contact; looks it up unfiltered when the list does not hold it. */
export async function openContact(id) {
  let contact = [...state.pages.values()].flat().find((c) => c.id === id);
  if (!contact) {
    try {
      contact = await invoke('get_contact', { id });
    } catch (err) {
      if (err?.code !== 'contact_not_found') toast(errorText(err), 'error');
    }
  }
  if (!contact) {
    toast(t('error.not_found'), 'error');
    return;
  }
  state.selected = contact.id;
  fillForm(contact);
  renderList();
}

/** Starts an empty form, optionally with a first number (from "add caller as contact"). */
export function newContact(prefillNumber = '') {
  state.selected = 'new';
  fillForm({ name: '', company: '', notes: '', blocked: false, numbers: [{ label: '', typed: prefillNumber, switchboard: false }] });
  renderList();
  const first = $('.number-input');
  if (prefillNumber && first) validateRow(first.closest('.number-row'));
  $('#contact-name').focus();
}

// ---- list -----------------------------------------------------------------------------

function renderList() {
  const list = $('#contact-list');
  // Focus lives on a row that a redraw replaces: remember it, to put it back.
  const focused = document.activeElement?.closest?.('#contact-list .contact-item')?.dataset.index;
  // No list shows more than the window: the cap keeps a list caught mid-layout (unbounded for
  // a moment) from drawing the whole book.
  const view = Math.min(list.clientHeight || ROW_HEIGHT * 12, window.innerHeight);
  const first = Math.max(0, Math.floor(list.scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(state.total, Math.ceil((list.scrollTop + view) / ROW_HEIGHT) + OVERSCAN);
  const rows = [];
  for (let index = first; index < last; index++) rows.push(contactItem(contactAt(index), index));
  // The rows not drawn take their room as the list's top padding and a spacer after the last
  // drawn row (not every engine counts a scroll container's bottom padding in its scroll
  // height), so the scroll bar spans the whole book.
  list.style.paddingTop = `${first * ROW_HEIGHT}px`;
  const rest = Math.max(0, state.total - last) * ROW_HEIGHT;
  const spacer = h('li', { class: 'contact-spacer', role: 'presentation', 'aria-hidden': 'true' });
  spacer.style.height = `${rest}px`;
  list.replaceChildren(...rows, spacer);
  loadPages(first, last);
  const empty = $('#contacts-empty');
  empty.hidden = !state.loaded || state.total > 0;
  empty.textContent = state.search.trim() ? t('contacts.noMatch', { search: state.search.trim() }) : t('contacts.empty');
  // Exactly one row is tabbable: the selected one, else the first drawn.
  const items = $$('.contact-item', list);
  const current = items.find((i) => i.getAttribute('aria-selected') === 'true') || items[0];
  if (current) current.tabIndex = 0;
  if (focused !== undefined) items.find((i) => i.dataset.index === focused)?.focus({ preventScroll: true });
  const total = $('#contacts-total');
  total.hidden = !state.loaded || state.total === 0;
  total.textContent = t('contacts.count', { total: fmt.integer(state.total) });
}

/** One list row; a placeholder of the same height while its page loads. */
function contactItem(contact, index) {
  const position = { 'aria-setsize': String(state.total), 'aria-posinset': String(index + 1) };
  if (!contact) {
    return h('li', { class: 'contact-item is-loading', role: 'option', 'aria-busy': 'true', ...position, dataset: { index: String(index) } },
      h('span', { class: 'contact-line' }, h('span', { class: 'contact-name', text: '…' })));
  }
  const selected = contact.id === state.selected;
  const first = contact.numbers?.[0];
  const meta = [contact.company, first ? (first.typed || first.e164) : ''].filter(Boolean).join(' · ');
  return h('li', {
    class: `contact-item${contact.blocked ? ' is-blocked' : ''}`,
    role: 'option',
    tabindex: '-1',
    'aria-selected': String(selected),
    ...position,
    dataset: { contactId: String(contact.id), index: String(index) },
  },
  h('span', { class: 'contact-line' },
    h('span', { class: 'contact-name', text: contact.name }),
    contact.blocked ? h('span', { class: 'tag tag-blocked', text: t('calls.blockedBadge') }) : null),
  meta ? h('span', { class: 'contact-meta', text: meta }) : null);
}

function onListKey(ev) {
  const item = ev.target.closest('.contact-item');
  if (!item) return;
  const index = Number(item.dataset.index);
  let next = null;
  if (ev.key === 'ArrowDown') next = index + 1;
  else if (ev.key === 'ArrowUp') next = index - 1;
  else if (ev.key === 'PageDown') next = index + 10;
  else if (ev.key === 'PageUp') next = index - 10;
  else if (ev.key === 'Home') next = 0;
  else if (ev.key === 'End') next = state.total - 1;
  else if (ev.key === 'Enter' || ev.key === ' ') {
    ev.preventDefault();
    if (item.dataset.contactId) openContact(Number(item.dataset.contactId));
    return;
  } else return;
  ev.preventDefault();
  next = Math.max(0, Math.min(state.total - 1, next));
  const list = $('#contact-list');
  // Scroll the row into view first, so it is drawn, then move the focus onto it.
  const top = next * ROW_HEIGHT;
  if (top < list.scrollTop) list.scrollTop = top;
  else if (top + ROW_HEIGHT > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW_HEIGHT - list.clientHeight;
  renderList();
  const target = $(`#contact-list .contact-item[data-index="${next}"]`);
  if (target) {
    for (const i of $$('#contact-list .contact-item')) i.tabIndex = -1;
    target.tabIndex = 0;
    target.focus({ preventScroll: true });
  }
}

function renderLabelOptions() {
  $('#number-labels').replaceChildren(...LABEL_CODES.map((code) => h('option', { value: t(`label.${code}`) })));
}

// ---- form -----------------------------------------------------------------------------

function fillForm(contact) {
  state.edited = false;
  $('#contact-pick').hidden = true;
  $('#contact-form').hidden = false;
  $('#contact-name').value = contact.name || '';
  $('#contact-company').value = contact.company || '';
  $('#contact-notes').value = contact.notes || '';
  $('#contact-blocked').checked = Boolean(contact.blocked);
  const numbers = contact.numbers?.length ? contact.numbers : [{ label: '', typed: '', switchboard: false }];
  $('#number-rows').replaceChildren(...numbers.map((n) => numberRow({
    // Shown in the window's language; saved back, the core turns the word into its code again.
    label: labelText(n.label || ''),
    number: n.typed || n.e164 || '',
    switchboard: Boolean(n.switchboard),
  })));
  $('#contact-delete').hidden = state.selected === 'new';
  showFormError('');
  setStatus('');
  renderFormTitle();
}

/** Whether a contact's form is open. */
export function formOpen() {
  return state.selected !== null;
}

/** Closes the open form (Esc); asks first when it holds changes not saved yet. */
export async function cancelForm() {
  if (!formOpen()) return;
  if (state.edited) {
    const discard = await confirmDialog({
      title: t('contacts.discardTitle'),
      message: t('contacts.discardMessage'),
      yes: t('contacts.discardYes'),
    });
    if (!discard) return;
  }
  closeForm();
  $('#contact-search').focus();
}

function closeForm() {
  state.selected = null;
  state.edited = false;
  $('#contact-form').hidden = true;
  $('#contact-pick').hidden = false;
}

function renderFormTitle() {
  $('#contact-form-title').textContent = state.selected === 'new' ? t('contacts.titleNew') : t('contacts.titleEdit');
}

let rowCounter = 0;

function numberRow({ label, number, switchboard }) {
  const id = `num-${++rowCounter}`;
  const row = h('div', { class: 'number-row', dataset: { rowId: id } },
    h('input', {
      type: 'text', class: 'number-label', list: 'number-labels', autocomplete: 'off', value: label,
      'data-i18n-placeholder': 'contacts.numberLabelPlaceholder', placeholder: t('contacts.numberLabelPlaceholder'),
      'data-i18n-aria-label': 'contacts.numberLabel', 'aria-label': t('contacts.numberLabel'),
    }),
    h('div', { class: 'number-field' },
      h('input', {
        type: 'tel', class: 'number-input mono', autocomplete: 'off', spellcheck: 'false', value: number,
        'data-i18n-placeholder': 'contacts.numberPlaceholder', placeholder: t('contacts.numberPlaceholder'),
        'data-i18n-aria-label': 'contacts.number', 'aria-label': t('contacts.number'),
        'aria-describedby': `${id}-err ${id}-ok`,
      }),
      // A fixed-height slot: the verdict appearing on blur must not move the buttons below
      // (a click that starts as the layout shifts would miss its target).
      h('div', { class: 'number-msg' },
        h('p', { class: 'number-error', id: `${id}-err`, 'aria-live': 'polite', hidden: true }),
        h('p', { class: 'number-ok', id: `${id}-ok`, hidden: true }))),
    h('label', { class: 'check number-sb', 'data-i18n-title': 'contacts.switchboardTitle', title: t('contacts.switchboardTitle') },
      h('input', { type: 'checkbox', class: 'number-switchboard', checked: switchboard }),
      h('span', { 'data-i18n': 'contacts.switchboard', text: t('contacts.switchboard') })),
    h('button', {
      type: 'button', class: 'icon-btn number-call',
      'data-i18n-title': 'contacts.callNumber', title: t('contacts.callNumber'),
      'data-i18n-aria-label': 'contacts.callNumber', 'aria-label': t('contacts.callNumber'),
    }, icon('phone')),
    h('button', {
      type: 'button', class: 'icon-btn number-copy',
      'data-i18n-title': 'contacts.copyNumber', title: t('contacts.copyNumber'),
      'data-i18n-aria-label': 'contacts.copyNumber', 'aria-label': t('contacts.copyNumber'),
    }, icon('copy')),
    h('button', {
      type: 'button', class: 'icon-btn number-remove',
      'data-i18n-title': 'contacts.removeNumber', title: t('contacts.removeNumber'),
      'data-i18n-aria-label': 'contacts.removeNumber', 'aria-label': t('contacts.removeNumber'),
    }, icon('remove')));

  const input = $('.number-input', row);
  const check = debounce(() => validateRow(row), 300);
  input.addEventListener('input', () => {
    row.dataset.token = String(Number(row.dataset.token || 0) + 1); // outdated answers are dropped
    check();
  });
  input.addEventListener('blur', () => check.flush());
  $('.number-remove', row).addEventListener('click', () => removeRow(row));
  $('.number-call', row).addEventListener('click', () => callNumber(input.value));
  $('.number-copy', row).addEventListener('click', () => copyNumber(input.value));
  return row;
}

/** Calls a number of the contact: through sipgate (one's phone rings first) or a softphone. */
async function callNumber(number) {
  if (!number.trim()) return;
  try {
    const how = await invoke('call_back', { number });
    if (how?.via === 'sipgate') toast(t('calls.dialing', { number }));
  } catch (err) {
    toast(errorText(err), 'error');
  }
}

/** Copies a number of the contact as it is written in the form, as a call row copies its number. */
async function copyNumber(number) {
  if (!number.trim()) return;
  const ok = await copyText(number.trim());
  toast(ok ? t('calls.copied') : t('calls.copyFailed'), ok ? 'info' : 'error');
}

function removeRow(row) {
  const rows = $$('#number-rows .number-row');
  const index = rows.indexOf(row);
  row.remove();
  const rest = $$('#number-rows .number-row');
  const next = rest[Math.min(index, rest.length - 1)];
  if (next) $('.number-input', next).focus();
  else $('#number-add').focus();
  setStatus('');
}

/** Asks the core whether the number parses; shows the formatted form or the reason. */
async function validateRow(row) {
  const value = $('.number-input', row).value;
  const token = row.dataset.token || '0';
  if (!value.trim()) {
    // An empty row is not an error while typing; the backend decides on save.
    setRowMessage(row, null, null);
    return;
  }
  try {
    const result = await invoke('check_number', { number: value });
    if ((row.dataset.token || '0') !== token) return;
    if (result.ok) setRowMessage(row, null, result.display || result.e164);
    else setRowMessage(row, { code: result.code, message: result.message }, null);
  } catch (err) {
    console.warn('check_number failed', err);
  }
}

function numberErrorText(err) {
  const key = `number.${err.code}`;
  const text = t(key);
  return text === key ? (err.message || t('number.invalid')) : text;
}

function setRowMessage(row, error, display) {
  const errEl = $('.number-error', row);
  const okEl = $('.number-ok', row);
  const input = $('.number-input', row);
  if (error) {
    errEl.dataset.code = error.code || '';
    errEl.dataset.message = error.message || '';
    errEl.textContent = numberErrorText(error);
    errEl.hidden = false;
    input.setAttribute('aria-invalid', 'true');
  } else {
    delete errEl.dataset.code;
    errEl.textContent = '';
    errEl.hidden = true;
    input.removeAttribute('aria-invalid');
  }
  okEl.dataset.display = display || '';
  okEl.textContent = display ? t('contacts.numberOk', { display }) : '';
  okEl.hidden = !display;
}

function retranslateRowMessages() {
  for (const row of $$('#number-rows .number-row')) {
    const errEl = $('.number-error', row);
    const okEl = $('.number-ok', row);
    if (errEl.dataset.code !== undefined) {
      setRowMessage(row, { code: errEl.dataset.code, message: errEl.dataset.message }, null);
    } else if (okEl.dataset.display) {
      setRowMessage(row, null, okEl.dataset.display);
    }
  }
  applyStatic($('#number-rows'));
}

function showFormError(text) {
  const el = $('#contact-error');
  el.textContent = text;
  el.hidden = !text;
}

let statusTimer = null;

function setStatus(text) {
  clearTimeout(statusTimer);
  $('#contact-status').textContent = text;
  if (text) statusTimer = setTimeout(() => { $('#contact-status').textContent = ''; }, 3000);
}

/** Reads the form into a ContactInput; rows left completely empty are dropped. */
function readForm() {
  const rows = [];
  const numbers = [];
  for (const row of $$('#number-rows .number-row')) {
    const label = $('.number-label', row).value.trim();
    const number = $('.number-input', row).value.trim();
    if (!label && !number) continue;
    rows.push(row);
    numbers.push({ label, number, switchboard: $('.number-switchboard', row).checked });
  }
  return {
    rows,
    contact: {
      name: $('#contact-name').value.trim(),
      company: $('#contact-company').value.trim(),
      notes: $('#contact-notes').value.trim(),
      blocked: $('#contact-blocked').checked,
      numbers,
    },
  };
}

async function saveContact() {
  const { rows, contact } = readForm();
  showFormError('');
  if (!contact.name) {
    showFormError(t('error.name_required'));
    $('#contact-name').focus();
    return;
  }
  const id = typeof state.selected === 'number' ? state.selected : null;
  const button = $('#contact-save');
  button.disabled = true;
  try {
    const saved = await invoke('save_contact', { id, contact });
    state.selected = saved.id;
    fillForm(saved);
    setStatus(t('contacts.saved'));
    await reloadContacts();
  } catch (err) {
    showSaveError(err, rows);
  } finally {
    button.disabled = false;
  }
}

function showSaveError(err, rows) {
  const position = Number(err.field?.position);
  const owner = err.field?.owner;
  if (err.code === 'duplicate_number' && owner && rows[position - 1]) {
    // Name the contact that has the number, with a way to it, right at the field.
    const row = rows[position - 1];
    setRowMessage(row, { code: 'duplicate_number', message: err.message }, null);
    const errEl = $('.number-error', row);
    errEl.replaceChildren(
      t('contacts.numberTaken', { name: owner.name }), ' ',
      h('button', { type: 'button', class: 'btn-link', text: t('contacts.openOwner', { name: owner.name }),
        on: { click: () => openContact(owner.id) } }));
    $('.number-input', row).focus();
    showFormError(t('error.duplicate_number', { name: owner.name }));
    return;
  }
  if (err.code === 'invalid_number' && position >= 1 && rows[position - 1]) {
    const row = rows[position - 1];
    const known = $('.number-error', row).dataset.code;
    setRowMessage(row, { code: known || 'invalid', message: err.message }, null);
    $('.number-input', row).focus();
  }
  showFormError(errorText(err));
}

async function deleteContact() {
  if (typeof state.selected !== 'number') return;
  const name = $('#contact-name').value.trim();
  const yes = await confirmDialog({
    title: t('contacts.deleteTitle'),
    message: t('contacts.deleteMessage', { name }),
    yes: t('contacts.deleteYes'),
  });
  if (!yes) return;
  try {
    await invoke('delete_contact', { id: state.selected });
    closeForm();
    toast(t('contacts.deleted'));
    await reloadContacts();
    $('#contact-search').focus();
  } catch (err) {
    showFormError(errorText(err));
  }
}
