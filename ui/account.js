// The sipgate account in Setup's step 3: connect with a personal access token, see what the
// token may do, point sipgate's webhook at Klingel with one button, disconnect. Every action
// asks the core, which checks with sipgate first; the panel only shows what it answers.
import { invoke } from './api.js';
import { h, $ } from './dom.js';
import { t, onLanguageChange } from './i18n.js';
import { errorText, toast } from './feedback.js';
import * as store from './state.js';

// `asked` counts requests for the status: an answer older than an action's is dropped.
const state = { busy: false, asked: 0 };

export async function initAccount() {
  $('#account-connect-btn').addEventListener('click', connect);
  $('#account-set-webhooks').addEventListener('click', setWebhooks);
  $('#account-refresh').addEventListener('click', refresh);
  $('#account-disconnect').addEventListener('click', disconnect);
  store.on('account', render);
  store.on('settings', () => render(store.get('account')));
  onLanguageChange(() => render(store.get('account')));
  await reloadAccount();
}

/** Reads the account status again (no request to sipgate: what the core knows). */
export async function reloadAccount() {
  if (state.busy) return;
  const asked = ++state.asked;
  try {
    const account = await invoke('account_status');
    if (asked === state.asked) store.set('account', account);
  } catch (err) {
    console.warn('account_status failed', err);
  }
}

function render(account) {
  const connected = Boolean(account?.connected);
  $('#account-connect').hidden = connected;
  $('#account-connected').hidden = !connected;
  $('#sipgate-account').dataset.connected = String(connected);
  if (!connected) return;
  const name = account.userName || account.userId || '';
  $('#account-state').textContent = account.company
    ? t('account.connectedCompany', { name, company: account.company })
    : t('account.connectedAs', { name });
  $('#account-capabilities').replaceChildren(...(account.capabilities || []).map(capability));
  const hooks = account.webhooks;
  let hooksText = '';
  if (hooks?.pointsHere) hooksText = t('account.webhooksHere');
  else if (hooks?.incomingUrl) hooksText = t('account.webhooksElsewhere', { url: hooks.incomingUrl });
  else if (hooks) hooksText = t('account.webhooksNone');
  $('#account-webhooks').textContent = hooksText;
  // One click needs an address sipgate can reach: the public URL from step 2.
  const publicUrl = store.get('settings')?.listener?.public_url;
  const button = $('#account-set-webhooks');
  button.disabled = state.busy || !publicUrl;
  button.title = publicUrl ? '' : t('account.webhooksNeedPublic');
  const problem = $('#account-problem');
  problem.hidden = !account.problem;
  problem.textContent = account.problem || '';
}

function capability(c) {
  const words = {
    ok: t('account.state.ok'),
    missing: t('account.state.missing', { scope: c.scope }),
    refused: t('account.state.refused', { scope: c.scope }),
    failed: t('account.state.failed', { detail: c.detail || '' }),
    unchecked: t('account.state.unchecked'),
  };
  return h('li', { class: `capability cap-${c.state}`, dataset: { key: c.key } },
    h('span', { class: 'cap-name', text: t(`account.cap.${c.key}`) }),
    h('span', { class: 'cap-state', text: words[c.state] || c.state }));
}

async function run(action, after) {
  if (state.busy) return;
  state.busy = true;
  state.asked += 1; // a status read still on its way is older than what this action brings
  for (const id of ['#account-connect-btn', '#account-set-webhooks', '#account-refresh', '#account-disconnect']) {
    $(id).disabled = true;
  }
  try {
    await after(await action());
  } catch (err) {
    toast(errorText(err), 'error', 10000);
  } finally {
    state.busy = false;
    for (const id of ['#account-connect-btn', '#account-refresh', '#account-disconnect']) $(id).disabled = false;
    render(store.get('account'));
  }
}

function connect() {
  const tokenId = $('#account-token-id').value.trim();
  const token = $('#account-token').value.trim();
  if (!tokenId || !token) {
    toast(t('account.needsIdAndToken'), 'error');
    return;
  }
  $('#account-connect-btn').textContent = t('account.connecting');
  return run(() => invoke('connect_account', { tokenId, token }), (account) => {
    $('#account-token').value = '';
    store.set('account', account);
  }).finally(() => { $('#account-connect-btn').textContent = t('account.connect'); });
}

function setWebhooks() {
  return run(() => invoke('set_webhooks'), async () => {
    // The write also settled whether the token may set webhooks: take the whole status.
    store.set('account', await invoke('account_status'));
    toast(t('account.webhooksSet'));
  });
}

function refresh() {
  return run(() => invoke('refresh_account'), (account) => store.set('account', account));
}

function disconnect() {
  return run(() => invoke('disconnect_account'), (account) => {
    store.set('account', account);
    toast(t('account.disconnected'));
  });
}
