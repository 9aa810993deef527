// Contacts → Blocked: every number Klingel turns away. A contact's number is blocked by the
// contact's mark (unblocking clears it); a stranger's number sits on the blocklist.
import { invoke, listen } from './api.js';
import { h, $, debounce } from './dom.js';
import { t, onLanguageChange } from './i18n.js';
import { toast, errorText } from './feedback.js';

const state = { blocked: [] };

export function initBlocked() {
  $('#blocked-add').addEventListener('submit', (ev) => {
    ev.preventDefault();
    blockTyped();
  });
  $('#blocked-list').addEventListener('click', (ev) => {
    const button = ev.target.closest('[data-unblock]');
    if (button) unblock(button.dataset.unblock);
  });
  listen('contacts://changed', debounce(refreshBlocked, 150));
  onLanguageChange(render);
  refreshBlocked();
}

async function refreshBlocked() {
  try {
    state.blocked = await invoke('blocked_numbers');
  } catch (err) {
    toast(errorText(err), 'error');
  }
  render();
}

function render() {
  const count = state.blocked.length;
  $('#blocked-count').textContent = count ? `(${count})` : '';
  $('#blocked-empty').hidden = count > 0;
  $('#blocked-list').replaceChildren(...state.blocked.map((b) => h('li', { class: 'blocked-item' },
    h('span', { class: 'blocked-number mono', text: b.display }),
    b.contactName ? h('span', { class: 'blocked-contact', text: b.contactName }) : null,
    h('button', { type: 'button', class: 'btn-link', dataset: { unblock: b.e164 }, text: t('blocked.unblock') }))));
}

async function blockTyped() {
  const input = $('#blocked-number');
  const error = $('#blocked-error');
  const number = input.value.trim();
  if (!number) return;
  try {
    await invoke('block_number', { e164: number });
    input.value = '';
    error.hidden = true;
    await refreshBlocked();
  } catch (err) {
    error.textContent = errorText(err);
    error.hidden = false;
    input.focus();
  }
}

async function unblock(number) {
  try {
    await invoke('unblock_number', { number });
    toast(t('blocked.unblocked', { number }));
    await refreshBlocked();
  } catch (err) {
    toast(errorText(err), 'error');
  }
}
