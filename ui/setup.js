// Setup ("Einrichtung"): numbered steps from listener to test call, plus the latest pushes.
import { invoke, listen } from './api.js';
import { h, $ } from './dom.js';
import { t, onLanguageChange } from './i18n.js';
import * as fmt from './format.js';
import { copyText, errorText, toast } from './feedback.js';
import * as store from './state.js';
import { reasonText } from './listener.js';

const MAX_REQUESTS = 20;

const state = {
  requests: [],
  test: null, // last send_test_call answer, or { error }
  testing: false,
};

export function initSetup() {
  $('#copy-setup-url').addEventListener('click', copyUrl);
  $('#send-test-call').addEventListener('click', sendTestCall);
  // After a test call: name its caller and see the name arrive, or clear the test calls away.
  $('#test-add-caller').addEventListener('click', () => {
    if (state.test?.caller) store.emit('navigate', { view: 'contacts', prefillNumber: state.test.caller });
  });
  $('#remove-test-calls').addEventListener('click', removeTestCalls);
  listen('listener://request', (request) => {
    if (!request) return;
    state.requests = [request, ...state.requests.filter((r) => r.id !== request.id)].slice(0, MAX_REQUESTS);
    renderRequests();
  });
  store.on('listener', renderListener);
  store.on('settings', renderPublicUrl);
  onLanguageChange(renderAll);
}

export async function reloadRequests() {
  try {
    state.requests = await invoke('recent_requests', { limit: MAX_REQUESTS });
  } catch (err) {
    console.warn('recent_requests failed', err);
  }
  renderRequests();
}

function renderAll() {
  renderListener(store.get('listener'));
  renderPublicUrl(store.get('settings'));
  renderTest();
  renderRequests();
}

function renderListener(status) {
  const line = $('#setup-listener-state');
  const s = status || { state: 'starting', address: '' };
  line.dataset.state = s.state;
  let text;
  if (s.state === 'listening') text = t('setup.stateListening', { address: s.address });
  else if (s.state === 'failed') text = t('setup.stateFailed', { address: s.address, reason: reasonText(s) });
  else text = t('setup.stateStarting', { address: s.address });
  line.replaceChildren(h('span', { class: 'status-dot', 'aria-hidden': 'true' }), h('span', { text }));
  line.title = s.error || '';
  $('#setup-listener-fix').hidden = s.state !== 'failed';

  // Step 2's recipes forward to where the listener actually is.
  const local = `http://${String(s.address || '127.0.0.1:8080').replace(/^0\.0\.0\.0:/, '127.0.0.1:')}`;
  $('#way-tunnel').textContent = `cloudflared tunnel --url ${local}`;
  $('#way-proxy').textContent = `klingel.example.com {\n  reverse_proxy ${local.replace('http://', '')}\n}`;

  // Step 3 depends on the listener too: the URL to paste is derived there.
  const url = s.sipgateUrl || '';
  $('#setup-url').textContent = url;
  $('#setup-url').closest('.copy-box').hidden = !url;
  $('#setup-url-missing').hidden = Boolean(url);
  markDone('#step-listener', s.state === 'listening');
  markDone('#step-url', Boolean(url));
}

function renderPublicUrl(settings) {
  const url = settings?.listener?.public_url || '';
  $('#setup-public-url').textContent = url ? t('setup.publicUrlIs', { url }) : t('setup.publicUrlMissing');
  markDone('#step-public', Boolean(url));
}

function markDone(selector, done) {
  $(selector).classList.toggle('done', done);
}

async function copyUrl() {
  const url = $('#setup-url').textContent;
  if (!url) return;
  const ok = await copyText(url);
  const btn = $('#copy-setup-url');
  if (!ok) {
    toast(t('calls.copyFailed'), 'error');
    return;
  }
  btn.textContent = t('setup.copied');
  setTimeout(() => { btn.textContent = t('setup.copy'); }, 2000);
}

async function sendTestCall() {
  if (state.testing) return;
  state.testing = true;
  state.test = null;
  renderTest();
  try {
    state.test = await invoke('send_test_call');
  } catch (err) {
    state.test = { error: err };
  }
  state.testing = false;
  renderTest();
}

async function removeTestCalls() {
  try {
    const count = await invoke('remove_test_calls');
    toast(t('setup.testCallsRemoved', { count: fmt.integer(count) }));
  } catch (err) {
    toast(errorText(err), 'error');
  }
}

function renderTest() {
  const btn = $('#send-test-call');
  btn.disabled = state.testing;
  btn.textContent = state.testing ? t('setup.sending') : t('setup.sendTest');
  const box = $('#test-call-result');
  const result = state.test;
  if (!result) {
    box.replaceChildren();
    box.dataset.state = state.testing ? 'running' : '';
    return;
  }
  if (result.error) {
    box.dataset.state = 'failed';
    box.replaceChildren(h('p', { class: 'test-verdict', text: `${t('setup.testFailed')} ${errorText(result.error)}` }));
    return;
  }
  box.dataset.state = result.ok ? 'ok' : 'failed';
  $('#test-next').hidden = !result.ok;
  markDone('#step-test', Boolean(result.ok));
  const steps = (result.steps || []).map((s) => h('li', {
    class: `test-step${s.status >= 200 && s.status < 300 ? ' ok' : ' bad'}`,
    text: s.status
      ? t('setup.stepLine', { step: s.step, status: s.status, ms: fmt.integer(Math.round(s.ms)) })
      : t('setup.stepNoAnswer', { step: s.step }),
  }));
  // replaceChildren would print a null as "null": build the parts first.
  const parts = [h('p', { class: 'test-verdict', text: result.ok ? t('setup.testOk') : t('setup.testFailed') })];
  if (steps.length) parts.push(h('ul', { class: 'test-steps' }, steps));
  if (result.message) parts.push(h('p', { class: 'test-message', text: result.message }));
  box.replaceChildren(...parts);
}

function renderRequests() {
  const body = $('#request-list');
  body.replaceChildren(...state.requests.map(requestRow));
  $('#requests-empty').hidden = state.requests.length > 0;
  $('#request-list').closest('.table-wrap').hidden = state.requests.length === 0;
}

function requestRow(req) {
  const at = fmt.parseTime(req.receivedAt);
  const today = at && fmt.isSameDay(at, new Date());
  const when = at ? (today ? fmt.clockSeconds(at) : fmt.shortDateTime(at)) : '';
  const ok = req.status >= 200 && req.status < 300;
  const checks = [authVerdict(req.auth), signatureVerdict(req.signature)].filter(Boolean).join(' · ');
  return h('tr', { class: `request-row${ok ? ' ok' : ' bad'}`, dataset: { requestId: String(req.id) }, title: req.reason || '' },
    h('td', { class: 'req-time', text: when }),
    h('td', { class: 'req-event' },
      h('span', { class: 'req-event-name', text: req.event || t('setup.eventUnknown') }),
      req.callId ? h('span', { class: 'req-call', text: req.callId }) : null),
    h('td', { class: 'req-checks', text: checks }),
    h('td', { class: 'req-status num' },
      h('span', { class: `status-code ${ok ? 'ok' : 'bad'}`, text: String(req.status || '') }),
      req.reason ? h('span', { class: 'req-reason', text: req.reason }) : null));
}

// The core reports verdicts as short English phrases; translate the known ones.
function authVerdict(auth) {
  const a = String(auth || '').toLowerCase();
  if (a === 'ok') return t('verdict.authOk');
  if (a === 'missing') return t('verdict.authMissing');
  if (a === 'not required' || a === '') return t('verdict.authNotRequired');
  return t('verdict.authWrong');
}

function signatureVerdict(sig) {
  const s = String(sig || '').toLowerCase();
  // Only Klingel's own key signed it: a test call, never shown as sipgate's "ok".
  if (s.startsWith('ok (local test key')) return t('verdict.sigTestKey');
  if (s.startsWith('test key refused')) return t('verdict.sigTestRefused');
  // Which key verified it: sipgate's own, or the one configured in its place.
  if (s === 'ok (sipgate)') return t('verdict.sigOkSipgate');
  if (s === 'ok (configured key)') return t('verdict.sigOkConfigured');
  if (s.startsWith('ok')) return t('verdict.sigOk');
  if (s === 'missing') return t('verdict.sigMissing');
  if (s === 'malformed') return t('verdict.sigMalformed');
  if (s === 'mismatch') return t('verdict.sigMismatch');
  if (s.includes('verification off')) return t('verdict.sigOff');
  if (s.startsWith('not checked')) return t('verdict.sigNotChecked');
  return sig;
}
