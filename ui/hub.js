// The office hub at this desk: Settings → Office hub (connect, leave) and the rail's words for
// the link. Connecting is its own action, apart from the settings form's Save: the core checks
// the token with the hub before anything changes.
import { invoke, listen } from './api.js';
import { $ } from './dom.js';
import { t, onLanguageChange } from './i18n.js';
import * as fmt from './format.js';
import { errorText, toast } from './feedback.js';
import * as store from './state.js';

const state = { busy: false, message: null };

/** The rail's words for the link to the hub. */
export function deskRailText(desk) {
  if (desk.stopped) return t('desk.refused');
  if (desk.connected) return t('desk.connected', { name: desk.desk?.name ?? '' });
  if (desk.offlineSince) {
    const since = fmt.parseTime(desk.offlineSince);
    return t('desk.offline', { time: since ? fmt.clock(since) : '' });
  }
  return t('desk.connecting');
}

export function initHub() {
  $('#hub-connect').addEventListener('click', connect);
  $('#hub-disconnect').addEventListener('click', disconnect);
  listen('desk://status', (desk) => {
    const overview = { ...(store.get('overview') || {}), desk };
    store.set('overview', overview);
  });
  store.on('overview', render);
  store.on('settings', fill);
  onLanguageChange(() => render(store.get('overview')));
}

function fill(settings) {
  if (!settings || state.busy) return;
  $('#hub-url').value = settings.desk?.hub_url ?? '';
  $('#hub-ca-file').value = settings.desk?.ca_file ?? '';
}

function render(overview) {
  const desk = overview?.desk ?? null;
  const line = $('#hub-state');
  line.dataset.state = desk ? (desk.connected ? 'listening' : desk.stopped ? 'failed' : 'starting') : 'off';
  if (!desk) {
    line.textContent = t('settings.hubNotConnected');
  } else if (desk.connected) {
    const info = desk.desk || {};
    const pops = info.all_calls ? t('settings.hubPopsAll')
      : (info.sipgate_user_ids || []).length ? t('settings.hubPopsFor', { users: fmt.list(info.sipgate_user_ids) })
        : t('settings.hubPopsNone');
    line.textContent = `${t('settings.hubConnected', { name: info.name ?? '' })} ${pops}`;
  } else {
    const state = `${t('settings.groupHub')}: ${deskRailText(desk)}`;
    line.textContent = desk.error ? `${state} — ${desk.error}` : state;
  }
  $('#hub-disconnect').hidden = !desk;
  $('#hub-token').placeholder = desk ? '••••••••' : '';
  // The listener's settings do not apply at a desk: the hub receives sipgate.
  $('#listener-group').disabled = Boolean(desk);
  // Setup's steps are the hub's business at a desk: say so there.
  const note = $('#setup-desk-note');
  note.hidden = !desk;
  note.textContent = desk ? t('setup.deskNote', { hub: desk.hubUrl }) : '';
  const away = $('#desk-away');
  const missed = desk?.missedWhileAway ?? 0;
  away.hidden = missed === 0;
  away.textContent = missed ? t('calls.deskAway', { count: fmt.integer(missed) }) : '';
}

async function connect() {
  const url = $('#hub-url').value.trim();
  const token = $('#hub-token').value.trim();
  const caFile = $('#hub-ca-file').value.trim();
  if (!url || !token) {
    toast(t('settings.hubNeedsUrlAndToken'), 'error');
    return;
  }
  state.busy = true;
  $('#hub-connect').disabled = true;
  try {
    const desk = await invoke('connect_hub', { url, token, caFile: caFile || null });
    $('#hub-token').value = '';
    store.set('overview', { ...(store.get('overview') || {}), desk });
    store.emit('calls-changed');
  } catch (err) {
    toast(errorText(err), 'error', 8000);
  } finally {
    state.busy = false;
    $('#hub-connect').disabled = false;
  }
}

async function disconnect() {
  try {
    const listener = await invoke('disconnect_hub');
    store.set('overview', { ...(store.get('overview') || {}), desk: null });
    store.set('listener', listener);
    store.emit('calls-changed');
    toast(t('settings.hubLeft'));
  } catch (err) {
    toast(errorText(err), 'error');
  }
}
