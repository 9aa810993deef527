// Settings: a grouped form that changes nothing until Save. The core validates, binds a new
// address first and keeps the running listener when it cannot; settings that open the listener
// to forged calls ask first. The Settings object is the TOML file (snake_case); keys we do not
// show are kept as they are.
import { invoke } from './api.js';
import { $, h } from './dom.js';
import { t, onLanguageChange } from './i18n.js';
import { errorText, confirmDialog } from './feedback.js';
import * as store from './state.js';
import { reasonText, warningTexts } from './listener.js';

const trimmed = (v) => v.trim();
// An unparsable entry is sent as-is: the form stops it before saving (see invalidNumber), and
// should one slip through, the core refuses it by name.
const wholeNumber = (v) => { const n = Number(v); return v.trim() !== '' && Number.isInteger(n) ? n : v; };
const setOptional = (obj, key, value) => {
  // Optional keys are omitted when empty, as the file would have them.
  if (value) obj[key] = value;
  else delete obj[key];
};

/** One entry per control: how to show it and how to write it back. `key` names it in errors. */
const FIELDS = [
  { id: 'set-address', key: 'address', kind: 'text',
    read: (s) => s.listener.address ?? '', write: (s, v) => { s.listener.address = trimmed(v); } },
  { id: 'set-public-url', key: 'public_url', kind: 'text',
    read: (s) => s.listener.public_url ?? '', write: (s, v) => setOptional(s.listener, 'public_url', trimmed(v)) },
  { id: 'set-username', key: 'username', kind: 'text',
    read: (s) => s.listener.username ?? '', write: (s, v) => setOptional(s.listener, 'username', trimmed(v)) },
  { id: 'set-password', key: 'password', kind: 'text',
    read: (s) => s.listener.password ?? '', write: (s, v) => setOptional(s.listener, 'password', v) },
  { id: 'set-verify-signature', key: 'verify_signature', kind: 'check',
    read: (s) => Boolean(s.listener.verify_signature), write: (s, v) => { s.listener.verify_signature = v; } },
  { id: 'set-accept-test-calls', key: 'accept_test_calls', kind: 'check',
    read: (s) => s.listener.accept_test_calls !== false, write: (s, v) => { s.listener.accept_test_calls = v; } },
  { id: 'set-region', key: 'region', kind: 'text',
    read: (s) => s.numbers.region ?? '', write: (s, v) => { s.numbers.region = trimmed(v).toUpperCase(); } },
  { id: 'set-number-display', key: 'display', kind: 'select',
    read: (s) => s.numbers.display, write: (s, v) => { s.numbers.display = v; } },
  { id: 'set-language', key: 'language', kind: 'select',
    read: (s) => s.ui.language, write: (s, v) => { s.ui.language = v; } },
  { id: 'set-popups-enabled', key: 'enabled', kind: 'check',
    read: (s) => Boolean(s.popups.enabled), write: (s, v) => { s.popups.enabled = v; } },
  { id: 'set-popup-mode', key: 'mode', kind: 'select',
    read: (s) => s.popups.mode, write: (s, v) => { s.popups.mode = v; } },
  { id: 'set-popup-users', key: 'users', kind: 'text',
    read: (s) => (s.popups.users || []).join(', '),
    write: (s, v) => { s.popups.users = v.split(',').map(trimmed).filter(Boolean); } },
  { id: 'set-dial-device', key: 'device', kind: 'select',
    read: (s) => s.sipgate?.device ?? '',
    write: (s, v) => { s.sipgate = s.sipgate || {}; setOptional(s.sipgate, 'device', v); } },
  { id: 'set-popup-outgoing', key: 'outgoing', kind: 'check',
    read: (s) => Boolean(s.popups.outgoing), write: (s, v) => { s.popups.outgoing = v; } },
  { id: 'set-popup-missed', key: 'missed', kind: 'check',
    read: (s) => Boolean(s.popups.missed), write: (s, v) => { s.popups.missed = v; } },
  { id: 'set-popup-sound', key: 'sound', kind: 'check',
    read: (s) => Boolean(s.popups.sound), write: (s, v) => { s.popups.sound = v; } },
  { id: 'set-answered-secs', key: 'answered_secs', kind: 'number',
    read: (s) => String(s.popups.answered_secs ?? ''),
    write: (s, v) => { s.popups.answered_secs = wholeNumber(v); } },
  { id: 'set-ring-timeout', key: 'ring_timeout_secs', kind: 'number',
    read: (s) => String(s.calls.ring_timeout_secs ?? ''),
    write: (s, v) => { s.calls.ring_timeout_secs = wholeNumber(v); } },
];

const state = {
  settings: null,
  saving: false,
  dirty: false, // the form differs from the settings in force
  message: null, // { key, vars, kind } so it can be re-translated
  lastSave: 0,
};

export function initSettings() {
  const form = $('#settings-form');
  // Typing only marks the form changed: a half-typed port must never move the listener.
  form.addEventListener('input', markDirty);
  form.addEventListener('change', markDirty);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    save();
  });
  $('#settings-discard').addEventListener('click', () => {
    fillForm(state.settings, true);
    clearInvalid();
    setDirty(false);
    setMessage(null);
  });
  store.on('settings', (settings) => {
    state.settings = settings;
    // The device select needs its options before the form takes the value.
    renderAccountChoices(store.get('account'));
    // Changes made elsewhere show at once, unless the user is in the middle of editing.
    if (!state.dirty) fillForm(settings, true);
  });
  store.on('listener', renderWarnings);
  store.on('account', renderAccountChoices);
  onLanguageChange(() => renderAccountChoices(store.get('account')));
  $('#popup-user-picks').addEventListener('click', (ev) => {
    const pick = ev.target.closest('[data-user]');
    if (pick) addPopupUser(pick.dataset.user);
  });
  onLanguageChange(() => renderWarnings(store.get('listener')));
  // A restarted listener reports a moment after the save: keep the message current.
  store.on('listener', (listener) => {
    if (Date.now() - state.lastSave < 15000 && state.message?.kind === 'ok') showSaved(listener);
  });
  onLanguageChange(() => {
    if (state.message?.kind === 'ok') showSaved(store.get('listener'));
    else renderMessage();
  });
}

/** With a sipgate account: its users to pick for popups, its devices to ring when calling. */
function renderAccountChoices(account) {
  const users = account?.connected ? account.users || [] : [];
  const picks = $('#popup-user-picks');
  picks.hidden = users.length === 0;
  picks.replaceChildren(...users.map((u) => h('button', {
    type: 'button', class: 'btn btn-quiet user-pick', dataset: { user: u.name }, text: `+ ${u.name}`,
  })));
  const select = $('#set-dial-device');
  // Mid-edit the choice on screen stays; otherwise the one in force.
  const current = state.dirty ? select.value : (state.settings?.sipgate?.device ?? '');
  const devices = account?.connected ? account.devices || [] : [];
  const options = [h('option', { value: '', text: t('settings.dialDeviceDefault') }),
    ...devices.map((d) => h('option', { value: d.id, text: `${d.alias || d.id} (${d.id})` }))];
  // A device set in the file but unknown to the account stays choosable.
  if (current && !devices.some((d) => d.id === current)) options.push(h('option', { value: current, text: current }));
  select.replaceChildren(...options);
  select.value = current || '';
  $('#sipgate-group').hidden = !account?.connected && !current;
}

/** Adds a user of the account to the popup filter (by name; the filter knows both). */
function addPopupUser(name) {
  const input = $('#set-popup-users');
  const names = input.value.split(',').map(trimmed).filter(Boolean);
  if (!names.some((n) => n.toLowerCase() === name.toLowerCase())) names.push(name);
  input.value = names.join(', ');
  markDirty();
}

/** Settings that leave the listener open to forged calls stay on screen while they last. */
function renderWarnings(listener) {
  const list = $('#listener-warnings');
  list.replaceChildren(...warningTexts(listener).map((text) => h('li', { text })));
  list.hidden = list.children.length === 0;
}

export async function loadSettings() {
  try {
    const settings = await invoke('get_settings');
    store.set('settings', settings);
  } catch (err) {
    setMessage('settings.loadFailed', { message: errorText(err) }, 'error');
  }
}

/** Shows settings in the form. */
function fillForm(settings) {
  if (!settings) return;
  for (const field of FIELDS) {
    const el = document.getElementById(field.id);
    const value = field.read(settings);
    if (field.kind === 'check') el.checked = value;
    else el.value = value;
  }
}

function readForm(base) {
  const next = structuredClone(base);
  for (const field of FIELDS) {
    const el = document.getElementById(field.id);
    field.write(next, field.kind === 'check' ? el.checked : el.value);
  }
  return next;
}

function markDirty() {
  if (!state.settings) return;
  setDirty(JSON.stringify(readForm(state.settings)) !== JSON.stringify(state.settings));
}

function setDirty(dirty) {
  state.dirty = dirty;
  $('#settings-save').disabled = !dirty || state.saving;
  $('#settings-discard').hidden = !dirty;
  $('#settings-unsaved').hidden = !dirty;
}

/** Loopback addresses: reachable from this computer only. */
function isLoopback(address) {
  const host = String(address || '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host.startsWith('127.') || host === '::1' || host === 'localhost';
}

/** What the new settings open up that the old ones did not, as dictionary keys. */
function risks(next, current) {
  const found = [];
  if (current.listener.verify_signature && !next.listener.verify_signature) found.push('settings.riskSignatureOff');
  const open = (s) => !isLoopback(s.listener.address) && !(s.listener.username && s.listener.password);
  if (open(next) && !open(current)) found.push('settings.riskOpen');
  return found;
}

/**
 * The first number field changed to something outside its range (the input's min, max and
 * step), so a typo is named at its field before anything is sent. A value the file already
 * had is left to the core: it must not block saving other changes.
 */
function invalidNumber() {
  for (const field of FIELDS.filter((f) => f.kind === 'number')) {
    const el = document.getElementById(field.id);
    if (el.value !== field.read(state.settings) && (el.value.trim() === '' || !el.checkValidity())) return el;
  }
  return null;
}

async function save() {
  if (!state.settings || state.saving || !state.dirty) return;
  clearInvalid();
  const bad = invalidNumber();
  if (bad) {
    bad.setAttribute('aria-invalid', 'true');
    bad.focus();
    const field = document.querySelector(`label[for="${bad.id}"]`)?.textContent || '';
    setMessage('settings.numberRange', { field, min: bad.min, max: bad.max }, 'error');
    return;
  }
  const next = readForm(state.settings);
  const risky = risks(next, state.settings);
  if (risky.length) {
    const yes = await confirmDialog({
      title: t('settings.riskTitle'),
      message: risky.map((key) => t(key)).join('\n\n'),
      yes: t('settings.riskYes'),
    });
    if (!yes) return;
  }
  state.saving = true;
  $('#settings-save').disabled = true;
  setMessage('settings.saving', {}, 'busy');
  try {
    const result = await invoke('save_settings', { settings: next });
    clearInvalid();
    state.lastSave = Date.now();
    setDirty(false);
    store.set('settings', result.settings);
    store.set('listener', result.listener);
    showSaved(result.listener);
  } catch (err) {
    showError(err);
  } finally {
    state.saving = false;
    setDirty(state.dirty);
  }
}

function showSaved(listener) {
  if (listener?.state === 'listening') setMessage('settings.savedListening', { address: listener.address }, 'ok');
  else if (listener?.state === 'failed') setMessage('settings.savedFailed', { address: listener.address, reason: reasonText(listener) }, 'ok', 'warn');
  else setMessage('settings.saved', {}, 'ok');
}

function showError(err) {
  clearInvalid();
  if (err.code === 'address_unavailable') {
    // Nothing changed: the listener still runs where it did.
    setMessage('settings.addressUnavailable', { message: err.message }, 'error');
    $('#set-address').setAttribute('aria-invalid', 'true');
  } else if (err.code === 'invalid_settings') {
    setMessage('settings.invalid', { message: err.message }, 'error');
    // The core names the key in its message; point at that control.
    const field = FIELDS.find((f) => new RegExp(`\\b${f.key}\\b`).test(err.message || ''));
    if (field) document.getElementById(field.id).setAttribute('aria-invalid', 'true');
  } else {
    setMessage('settings.invalid', { message: errorText(err) }, 'error');
  }
}

function clearInvalid() {
  for (const field of FIELDS) document.getElementById(field.id).removeAttribute('aria-invalid');
}

function setMessage(key, vars, kind, tone = kind) {
  state.message = key ? { key, vars, kind, tone } : null;
  renderMessage();
}

function renderMessage() {
  const el = $('#settings-message');
  const m = state.message;
  el.textContent = m ? t(m.key, m.vars) : '';
  el.dataset.kind = m ? m.tone : '';
}
