// Starting at login, and the first start's welcome that offers it. The autostart entry is the
// desktop's, not a setting in Klingel's file: the switch acts at once, without Save.
import { invoke } from './api.js';
import { $ } from './dom.js';
import { t } from './i18n.js';
import { errorText, toast } from './feedback.js';
import * as store from './state.js';

const SWITCHES = ['#set-start-at-login', '#welcome-start-at-login'];

function show(on) {
  for (const sel of SWITCHES) $(sel).checked = Boolean(on);
}

async function reload() {
  try {
    show(await invoke('start_at_login'));
  } catch (err) {
    console.warn('start_at_login failed', err);
  }
}

async function change(ev) {
  const wanted = ev.target.checked;
  try {
    const on = await invoke('set_start_at_login', { on: wanted });
    show(on);
    toast(t(on ? 'login.on' : 'login.off'));
  } catch (err) {
    show(!wanted);
    toast(t('login.failed', { error: errorText(err) }), 'error');
  }
}

/** Greets a new user once: what Klingel does, start at login, and where to begin. */
export async function welcome() {
  const dialog = $('#welcome-dialog');
  await reload();
  dialog.returnValue = '';
  dialog.addEventListener('close', async () => {
    try {
      await invoke('close_welcome');
    } catch (err) {
      console.warn('close_welcome failed', err);
    }
    if (dialog.returnValue === 'setup') store.emit('navigate', { view: 'setup' });
    else if (dialog.returnValue === 'office') store.emit('navigate', { view: 'settings', focus: '#hub-url' });
  }, { once: true });
  dialog.showModal();
  $('#welcome-setup').focus();
}

export function initLogin() {
  for (const sel of SWITCHES) $(sel).addEventListener('change', change);
  reload();
}
