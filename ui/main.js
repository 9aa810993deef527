// Boot, navigation, the rail and global keys. Views live in their own modules and talk
// to each other only through state.js (navigate requests, listener/settings/overview).
import { invoke, listen } from './api.js';
import { $, $$, debounce, isTyping } from './dom.js';
import { t, setLanguage, resolveLanguage, onLanguageChange } from './i18n.js';
import * as fmt from './format.js';
import { icon } from './icons.js';
import { errorText, toast } from './feedback.js';
import * as store from './state.js';
import { railText, warningTexts } from './listener.js';
import { initHub, deskRailText } from './hub.js';
import { initAccount, reloadAccount } from './account.js';
import * as calls from './calls.js';
import * as contacts from './contacts.js';
import { initBlocked } from './blocked.js';
import { initSetup, reloadRequests } from './setup.js';
import { initSettings, loadSettings } from './settings.js';
import { initTransfer } from './transfer.js';
import { initLogin, welcome } from './login.js';
import { initKeys, showKeys } from './keys.js';

const VIEWS = ['calls', 'contacts', 'setup', 'settings'];
let currentView = 'calls';

function showView(name) {
  if (!VIEWS.includes(name)) return;
  currentView = name;
  for (const v of VIEWS) {
    $(`#view-${v}`).hidden = v !== name;
    const nav = $(`#nav-${v}`);
    if (v === name) nav.setAttribute('aria-current', 'page');
    else nav.removeAttribute('aria-current');
  }
  if (name === 'setup') {
    reloadRequests();
    // What the listener's background work learned (a refresh that failed) shows when looked at.
    reloadAccount();
  }
}

/** Handles app://navigate (notification actions) and in-app requests alike. */
async function navigate(request) {
  if (!request) return;
  if (request.view === 'contacts') {
    showView('contacts');
    if (request.contactId !== undefined && request.contactId !== null) await contacts.openContact(Number(request.contactId));
    else if (request.prefillNumber !== undefined && request.prefillNumber !== null) contacts.newContact(String(request.prefillNumber));
  } else if (request.view === 'calls') {
    showView('calls');
    if (request.callId !== undefined && request.callId !== null) await calls.showCall(Number(request.callId));
  } else {
    showView(request.view);
  }
  // A request may name the field to start at (the welcome's "office hub" goes to its URL).
  if (request.focus) $(request.focus)?.focus();
}

// ---- rail --------------------------------------------------------------------------------

function renderListener(status) {
  const el = $('#listener-status');
  const desk = store.get('overview')?.desk;
  // The label follows what the rail is about (and a language change keeps it).
  const label = $('.status-label', el);
  label.dataset.i18n = desk ? 'settings.groupHub' : 'listener.label';
  label.textContent = t(label.dataset.i18n);
  if (desk) {
    // At a desk the hub receives sipgate: the rail tells how the link to it stands.
    el.dataset.state = desk.connected ? 'listening' : desk.stopped ? 'failed' : 'starting';
    $('.status-text', el).textContent = deskRailText(desk);
    $('.status-warn', el).hidden = true;
    el.title = [desk.hubUrl, desk.error].filter(Boolean).join('\n');
    return;
  }
  el.dataset.state = status?.storeError ? 'failed' : (status?.state || 'starting');
  $('.status-text', el).textContent = railText(status);
  // Open to forged calls: say so in the rail for as long as it lasts, not only once.
  const warnings = warningTexts(status);
  const warn = $('.status-warn', el);
  warn.textContent = warnings.length ? t('listener.warnShort') : '';
  warn.hidden = warnings.length === 0;
  el.title = [status?.storeError ? railText(status) : '', status?.error || status?.address || '', ...warnings]
    .filter(Boolean).join('\n');
}

function renderMissed(overview) {
  const count = overview?.unseenMissed ?? 0;
  const badge = $('#missed-count');
  badge.textContent = String(count);
  badge.hidden = count === 0;
  badge.title = count ? t('nav.missedTitle', { count: fmt.integer(count) }) : '';
}

/** get_overview: listener, unseen missed and the resolved language (authoritative). */
async function refreshOverview() {
  try {
    const overview = await invoke('get_overview');
    store.set('overview', overview);
    if (overview.listener) store.set('listener', overview.listener);
    if (overview.language) await setLanguage(overview.language);
    return overview;
  } catch (err) {
    console.warn('get_overview failed', err);
    return null;
  }
}

let lastDisplay = null;

async function onSettings(settings) {
  // Numbers in the log are formatted by the core: a new display style needs a fresh list.
  const display = settings?.numbers?.display ?? null;
  if (lastDisplay !== null && display !== lastDisplay) calls.reloadCalls();
  lastDisplay = display;
  const wanted = settings?.ui?.language;
  // "auto" is resolved by the core (system locale); ask it rather than guess.
  if (wanted === 'de' || wanted === 'en') await setLanguage(wanted);
  else await refreshOverview();
}

// ---- keyboard ----------------------------------------------------------------------------

function onKey(ev) {
  if ($('dialog[open]')) return; // a dialog handles its own keys (Esc = cancel)
  const typing = isTyping(ev.target);
  const plainCtrl = (ev.ctrlKey || ev.metaKey) && !ev.altKey && !ev.shiftKey;
  if (plainCtrl && (ev.key === 'n' || ev.key === 'N')) {
    ev.preventDefault();
    showView('contacts');
    contacts.newContact();
    return;
  }
  if (!typing && (ev.key === '?' || ev.key === 'F1') && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
    ev.preventDefault();
    showKeys();
    return;
  }
  const find = (ev.key === 'f' || ev.key === 'F') && (ev.ctrlKey || ev.metaKey) && !ev.altKey;
  if (find || (ev.key === '/' && !typing && !ev.ctrlKey && !ev.metaKey && !ev.altKey)) {
    ev.preventDefault();
    if (currentView === 'contacts') contacts.focusSearch();
    else {
      showView('calls');
      calls.focusSearch();
    }
    return;
  }
  if (ev.key === 'Escape') {
    onEscape(ev);
    return;
  }
  if (ev.altKey && !ev.ctrlKey && /^[1-4]$/.test(ev.key)) {
    ev.preventDefault();
    showView(VIEWS[Number(ev.key) - 1]);
  }
}

// Esc clears a search first, then leaves it; in or over an open contact form it closes the
// form (nothing unsaved is lost silently: the form asks first); elsewhere it leaves a field.
function onEscape(ev) {
  const target = ev.target;
  if (target instanceof HTMLInputElement && target.type === 'search') {
    ev.preventDefault();
    if (target.value) {
      target.value = '';
      target.dispatchEvent(new Event('input', { bubbles: true }));
    } else {
      target.blur();
    }
  } else if (currentView === 'contacts' && contacts.formOpen()) {
    ev.preventDefault();
    contacts.cancelForm();
  } else if (target instanceof HTMLElement && target.matches('input, textarea, select')) {
    target.blur();
  }
}

// ---- boot --------------------------------------------------------------------------------

function placeIcons() {
  for (const el of $$('[data-icon]')) el.replaceChildren(icon(el.dataset.icon));
}

function wire() {
  for (const v of VIEWS) $(`#nav-${v}`).addEventListener('click', () => showView(v));
  document.addEventListener('click', (ev) => {
    const goto = ev.target.closest('[data-goto]');
    if (goto) showView(goto.dataset.goto);
  });
  document.addEventListener('keydown', onKey);

  store.on('navigate', navigate);
  store.on('listener', renderListener);
  store.on('overview', renderMissed);
  store.on('overview', () => renderListener(store.get('listener')));
  store.on('settings', onSettings);
  // Counting unseen missed calls is the core's job: ask again after every change.
  store.on('calls-changed', debounce(refreshOverview, 150));
  onLanguageChange(() => {
    renderListener(store.get('listener'));
    renderMissed(store.get('overview'));
  });

  listen('listener://status', (status) => store.set('listener', status));
  listen('settings://changed', (settings) => store.set('settings', settings));
  listen('app://navigate', navigate);
  // "Do not disturb" from the tray shows in the rail; a click there resumes popups.
  const dnd = $('#dnd-chip');
  const showDnd = (on) => { dnd.hidden = !on; };
  listen('tray://dnd', showDnd);
  dnd.addEventListener('click', () => invoke('set_do_not_disturb', { on: false }).catch(() => {}));
  invoke('do_not_disturb').then(showDnd).catch(() => {});
}

async function boot() {
  // Words first (system language), so nothing shows keys; the core may correct it below.
  await setLanguage(resolveLanguage('auto'), true);
  placeIcons();
  calls.initCalls();
  contacts.initContacts();
  initBlocked();
  initTransfer();
  initSetup();
  initSettings();
  initHub();
  initAccount();
  initLogin();
  initKeys();
  wire();
  showView('calls');
  renderListener(null);

  if (!window.__TAURI__) {
    toast(t('error.unavailable'), 'error');
    return;
  }
  const overview = await refreshOverview();
  await Promise.all([loadSettings(), calls.reloadCalls(), contacts.reloadContacts(), reloadRequests()]);
  // A broken settings file: the app runs on defaults and must say so, or saving would
  // silently overwrite the user's file.
  if (overview?.settingsError) toast(t('error.settingsFile', { error: overview.settingsError }), 'error', 60000);
  // A new user is greeted once, instead of meeting an empty log.
  if (overview?.welcome) await welcome();
}

boot().catch((err) => {
  console.error('boot failed', err);
  toast(errorText(err), 'error');
});
