// Calls view: the ringing area on top and the day-grouped log below.
// Data comes from calls_page, a page at a time (on filter/search change, and the next one as the
// list is scrolled near its end) and call://updated (live upserts); the backend is never polled.
import { invoke, listen } from './api.js';
import { h, $, $$, debounce } from './dom.js';
import { t, onLanguageChange } from './i18n.js';
import * as fmt from './format.js';
import { icon } from './icons.js';
import { confirmDialog, toast, copyText, errorText } from './feedback.js';
import * as store from './state.js';
import * as view from './callview.js';

/** Calls per page; older ones come as the list nears its end, or with "show older calls". */
const PAGE = 200;
/** The most calls a reload asks for at once (the command's own cap): what is loaded stays loaded. */
const RELOAD_MAX = 2000;
/** How far below the visible list the next page starts loading, so scrolling rarely waits. */
const PRELOAD_PX = 600;
/** Asks the core for the log again, at most every 150 ms however many updates arrive. */
const reloadSoon = debounce(() => reloadCalls(), 150);

const state = {
  calls: [], // entries matching the active filter/search, any order (sorted on render)
  ringing: new Map(), // id -> entry, independent of filter/search
  filter: 'all',
  search: '',
  expanded: new Set(), // numbers whose repeated misses are shown one by one
  seq: 0, // guards against out-of-order calls_page answers
  loaded: false,
  loadError: null,
  total: null, // calls in the view (null while searching)
  more: false, // older calls follow what is shown
  searchedTo: null, // where a search stopped that has not read the whole log (the oldest call read)
  searched: null, // with searchedTo: how many calls, from the newest, the search has read
  loadingOlder: false,
};

export function initCalls() {
  for (const btn of $$('.segmented .seg')) {
    btn.addEventListener('click', () => setFilter(btn.dataset.filter));
  }
  const search = $('#call-search');
  const searchChanged = debounce(() => {
    state.search = search.value;
    // A new search starts at the top, not where the last list was scrolled to.
    scrollToTop();
    reloadCalls({ restart: true });
  }, 200);
  search.addEventListener('input', searchChanged);

  $('#mark-all-seen').addEventListener('click', markAllSeen);
  $('#ringing').addEventListener('click', onRingingClick);
  // "Reject" is there only with a sipgate account that can end calls.
  store.on('account', renderRinging);
  // The button stays for keyboards and as a visible fallback; scrolling near it loads by itself.
  $('#calls-older').addEventListener('click', loadOlder);
  new IntersectionObserver(onFootInView, { root: $('.call-scroll'), rootMargin: `0px 0px ${PRELOAD_PX}px 0px` })
    .observe($('#calls-foot'));

  const list = $('#call-list');
  list.addEventListener('keydown', onListKey);
  list.addEventListener('focusin', onRowFocus);
  list.addEventListener('dblclick', (ev) => {
    const row = ev.target.closest('.call-row');
    if (row && !ev.target.closest('button')) openRow(row);
  });
  list.addEventListener('click', onActionClick);
  list.addEventListener('click', (ev) => {
    const chip = ev.target.closest('.repeat-chip');
    if (!chip) return;
    const number = chip.dataset.number;
    if (state.expanded.has(number)) state.expanded.delete(number);
    else state.expanded.add(number);
    renderLog();
  });

  listen('call://updated', onCallUpdated);
  listen('contacts://changed', reloadSoon);
  listen('calls://removed', (keys) => {
    for (const id of keys || []) state.ringing.delete(id);
    reloadCalls();
    store.emit('calls-changed');
  });
  store.on('overview', renderMissedCount);
  onLanguageChange(renderAll);
  keepTicking();
}

/** Resets filter and search (e.g. before showing a call from a notification). */
export function resetFilters() {
  state.filter = 'all';
  state.search = '';
  $('#call-search').value = '';
  renderFilterButtons();
}

/**
 * Asks the core for the log again. A new filter or search (`restart`) starts with one page;
 * otherwise as many calls as are loaded come again, so the list does not shrink under the
 * reader's scroll position.
 */
export async function reloadCalls({ restart = false } = {}) {
  const seq = ++state.seq;
  // Updates that arrive while the page is on its way are at least as new as the page.
  const fresh = new Map();
  state.fresh = fresh;
  const limit = restart ? PAGE
    : Math.min(RELOAD_MAX, Math.max(PAGE, Math.ceil(state.calls.length / PAGE) * PAGE));
  try {
    const page = await invoke('calls_page', { filter: state.filter, search: state.search.trim(), limit });
    if (seq !== state.seq) return;
    page.calls = page.calls.map((c) => fresh.get(c.id) || c);
    for (const call of fresh.values()) {
      if (isLive(call)) state.ringing.set(call.id, call);
      else state.ringing.delete(call.id);
    }
    state.calls = page.calls;
    state.total = page.total;
    takePaging(page);
    state.loaded = true;
    state.loadError = null;
    syncRinging(page.calls);
  } catch (err) {
    if (seq !== state.seq) return;
    state.loadError = err;
  } finally {
    if (state.fresh === fresh) state.fresh = null;
  }
  renderAll();
}

/** What lies beyond the calls shown, as the latest page says. */
function takePaging(page) {
  state.more = page.more;
  state.searchedTo = page.searchedTo ?? null;
  state.searched = page.searched ?? null;
}

/**
 * Appends the next page of older calls: older matches of what is shown, or, where a search
 * stopped before the log's end, the search's next stretch. The log never stops silently.
 */
async function loadOlder() {
  if (state.loadingOlder) return;
  const before = state.more ? sortedCalls().at(-1)?.id : state.searchedTo;
  if (before === undefined || before === null) return;
  const seq = state.seq;
  const button = $('#calls-older');
  state.loadingOlder = true;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  let loaded = false;
  try {
    const page = await invoke('calls_page', {
      filter: state.filter, search: state.search.trim(), before, limit: PAGE,
    });
    if (seq !== state.seq) return;
    const known = new Set(state.calls.map((c) => c.id));
    state.calls.push(...page.calls.filter((c) => !known.has(c.id)));
    takePaging(page);
    loaded = true;
    renderLog();
  } catch (err) {
    toast(errorText(err), 'error');
  } finally {
    state.loadingOlder = false;
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
  // A page that does not fill the view leaves the foot in sight: no scroll event will come.
  if (loaded) requestAnimationFrame(loadIfNearEnd);
}

/** The foot came near the visible part of the list: the next page loads by itself. */
function onFootInView(entries) {
  if (entries.some((e) => e.isIntersecting)) loadIfNearEnd();
}

/**
 * Loads the next page when the list's end is in or near view. Only older calls of the same
 * list come by themselves; searching older calls is the reader's choice (the button says how
 * far the search has read).
 */
function loadIfNearEnd() {
  if (!state.more || state.loadingOlder || $('#calls-foot').hidden || $('#view-calls').hidden) return;
  const scroller = $('.call-scroll');
  const foot = $('#calls-foot').getBoundingClientRect();
  if (foot.top <= scroller.getBoundingClientRect().bottom + PRELOAD_PX) loadOlder();
}

function scrollToTop() {
  $('.call-scroll').scrollTop = 0;
}

function renderFoot() {
  const foot = $('#calls-foot');
  // A search that read only part of the log says so even when it found nothing.
  foot.hidden = !state.loaded || (state.calls.length === 0 && state.searchedTo === null);
  const shown = fmt.integer(state.calls.length);
  let text;
  if (state.total !== null) text = t('calls.shownOf', { shown, total: fmt.integer(state.total) });
  else if (state.searchedTo !== null && !state.more) {
    text = t('calls.searchStopped', { shown, searched: fmt.integer(state.searched ?? 0) });
  } else text = t('calls.shownFound', { shown });
  $('#calls-total').textContent = text;
  const older = $('#calls-older');
  older.hidden = !state.more && state.searchedTo === null;
  older.textContent = state.more ? t('calls.older') : t('calls.searchOlder');
}

/** Focuses (and scrolls to) a call's row, reloading unfiltered if it is not shown. */
export async function showCall(id) {
  if (!state.calls.some((c) => c.id === id)) {
    resetFilters();
    await reloadCalls({ restart: true });
  }
  const row = $(`.call-row[data-call-id="${CSS.escape(String(id))}"]`);
  if (!row) return;
  row.focus();
  row.scrollIntoView({ block: 'nearest' });
  row.classList.add('flash');
  setTimeout(() => row.classList.remove('flash'), 1600);
}

export function focusSearch() {
  const search = $('#call-search');
  search.focus();
  search.select();
}

function setFilter(filter) {
  if (filter === state.filter) return;
  state.filter = filter;
  renderFilterButtons();
  scrollToTop();
  reloadCalls({ restart: true });
}

/** Ringing, or a conversation going on: the calls the area on top shows. */
function isLive(call) {
  return call.state === 'ringing' || (call.state === 'answered' && !call.endedAt);
}

// A list answer is a full snapshot for the calls it contains: take their ringing state.
function syncRinging(calls) {
  for (const call of calls) {
    if (isLive(call)) state.ringing.set(call.id, call);
    else state.ringing.delete(call.id);
  }
}

function onCallUpdated(update) {
  const call = update?.call;
  if (!call) return;
  state.fresh?.set(call.id, call);
  if (isLive(call)) state.ringing.set(call.id, call);
  else state.ringing.delete(call.id);

  // Which calls a filter or a search shows is the core's rule: a filtered log asks it again.
  const index = state.calls.findIndex((c) => c.id === call.id);
  if (index >= 0) state.calls[index] = call;
  if (state.filter !== 'all' || state.search.trim()) reloadSoon();
  else if (index < 0) {
    state.calls.push(call);
    if (state.total !== null) state.total += 1;
  }

  // A burst of pushes must not rebuild the whole log per event: changes are gathered and
  // applied once per frame, each to its own row.
  if (state.filter === 'all' && !state.search.trim()) pending.add(call.id);
  scheduleFrame();
  store.emit('calls-changed', update);
}

/** Call ids whose rows need drawing again at the next frame. */
const pending = new Set();
let frameQueued = false;

function scheduleFrame() {
  if (frameQueued) return;
  frameQueued = true;
  requestAnimationFrame(() => {
    frameQueued = false;
    renderRinging();
    const ids = [...pending];
    pending.clear();
    // Many changes at once (or any that cannot be patched): one full render is cheaper.
    if (ids.length > 50 || !ids.every(patchRow)) renderLog();
    else renderFoot();
  });
}

/** Draws one call's row again in place, or a new newest call at the top of its day. */
function patchRow(id) {
  const call = state.calls.find((c) => c.id === id);
  if (!call) return false;
  const started = fmt.parseTime(call.startedAt) || new Date();
  const old = rowById(id);
  if (old) {
    const active = document.activeElement;
    const focused = old.contains(active);
    const action = focused && active !== old ? actionClass(active) : null;
    const fresh = callRow(call, started);
    fresh.tabIndex = old.tabIndex;
    for (const b of $$('.row-action', fresh)) b.tabIndex = old.tabIndex;
    old.replaceWith(fresh);
    if (focused) restoreFocus(id, action);
    return true;
  }
  const newest = state.calls.every((c) => c === call || c.startedAt < call.startedAt
    || (c.startedAt === call.startedAt && c.id < call.id));
  const today = $('#call-list .day-group');
  if (!newest || !today || today.dataset.day !== fmt.dayKey(started)) return false;
  $('.day-rows', today).prepend(callRow(call, started));
  return true;
}

async function markAllSeen() {
  try {
    await invoke('mark_all_seen');
  } catch (err) {
    toast(errorText(err), 'error');
  }
  await reloadCalls();
  store.emit('calls-changed');
}

async function markSeen(call) {
  if (!view.isUnseenMissed(call)) return;
  // Ticking off a repeated miss ticks off every miss from that number.
  const repeat = missedRepeats().get(call.id);
  const ids = repeat?.head && !repeat.open ? repeat.ids : [call.id];
  try {
    await invoke('mark_seen', { ids });
    for (const c of state.calls.filter((x) => ids.includes(x.id))) {
      c.seenAt = new Date().toISOString();
      c.outcome = { ...c.outcome, unseen: false };
    }
    renderLog();
    store.emit('calls-changed');
  } catch (err) {
    console.warn('mark_seen failed', err);
  }
}

// ---- rendering -------------------------------------------------------------------------

function renderAll() {
  renderFilterButtons();
  renderRinging();
  renderLog();
  renderMissedCount(store.get('overview'));
}

function renderFilterButtons() {
  for (const btn of $$('.segmented .seg')) {
    btn.setAttribute('aria-pressed', String(btn.dataset.filter === state.filter));
  }
}

function renderMissedCount(overview) {
  const count = overview?.unseenMissed ?? 0;
  const seg = $('#filter-missed .seg-count');
  seg.textContent = count > 0 ? fmt.integer(count) : '';
  seg.hidden = count === 0;
  $('#mark-all-seen').disabled = count === 0;
}

/** The most ringing calls drawn at once; the rest are counted (the area has a fixed height). */
const RINGING_SHOWN = 4;

function renderRinging() {
  const area = $('#ringing');
  const byStart = (a, b) => a.startedAt.localeCompare(b.startedAt);
  const live = [...state.ringing.values()];
  // Ringing first (someone should pick up), then who is on the phone now.
  const calls = [...live.filter((c) => c.state === 'ringing').sort(byStart),
    ...live.filter((c) => c.state !== 'ringing').sort(byStart)];
  area.dataset.count = String(Math.min(calls.length, 3));
  // Two or more at once stack as compact rows, so every caller's name keeps its room.
  area.toggleAttribute('data-many', calls.length > 1);
  if (!calls.length) {
    area.replaceChildren(h('p', { class: 'ringing-quiet', text: t('calls.quiet') }));
    return;
  }
  const shown = calls.length > RINGING_SHOWN ? calls.slice(0, RINGING_SHOWN - 1) : calls;
  const more = calls.length - shown.length;
  const cards = shown.map((c) => (c.state === 'ringing' ? ringingCard(c) : talkingCard(c)));
  // replaceChildren would print a null as "null": add the count only when there is one.
  if (more) cards.push(h('p', { class: 'ringing-more', text: t('calls.moreRinging', { count: fmt.integer(more) }) }));
  area.replaceChildren(...cards);
}

function ringingCard(call) {
  keepTicking();
  const p = view.party(call);
  const since = fmt.parseTime(call.startedAt);
  const sub = [p.company, p.number].filter(Boolean).join(' · ');
  const notes = (call.contact?.contact?.notes || '').trim();
  const dirWord = call.direction === 'out' ? t('calls.dirOut') : t('calls.dirIn');
  return h('article', {
    class: `ringing-call${p.withheld ? ' is-withheld' : ''}`,
    dataset: { callId: String(call.id), direction: call.direction },
    'aria-label': `${p.name} ${dirWord}`,
  },
  h('div', { class: 'ring-pulse', 'aria-hidden': 'true' }, icon('bell', 'icon ring-bell')),
  h('div', { class: 'ring-main' },
    // The name in its own element: it ends in an ellipsis instead of being cut mid-letter.
    h('div', { class: 'ring-name', title: p.name },
      h('span', { class: 'ring-name-text', text: p.name }),
      p.blocked ? h('span', { class: 'tag tag-blocked', text: t('calls.blockedBadge') }) : null, testTag(call)),
    sub ? h('div', { class: 'ring-sub', text: sub }) : null,
    notes ? h('div', { class: 'ring-note', title: notes, text: notes }) : null,
    h('div', { class: 'ring-route', text: view.routeText(call) })),
  h('div', { class: 'ring-side' },
    h('span', { class: 'ring-timer', dataset: { since: call.startedAt }, text: since ? fmt.duration(Date.now() - since) : '' }),
    h('span', { class: 'ring-dir' }, call.direction === 'out' ? '↗ ' : '↙ ', dirWord),
    canReject(call)
      ? h('button', { type: 'button', class: 'btn btn-danger ring-reject', dataset: { reject: String(call.id) }, text: t('action.reject') })
      : null));
}

/** An incoming call still ringing, with a sipgate account to end it. */
function canReject(call) {
  return Boolean(store.get('account')?.connected) && call.direction === 'in' && !call.test
    && call.state === 'ringing';
}

async function onRingingClick(ev) {
  const btn = ev.target.closest('.ring-reject');
  if (!btn) return;
  btn.disabled = true;
  try {
    const done = await invoke('reject_call', { id: Number(btn.dataset.reject) });
    toast(done === 'alreadyOver' ? t('calls.rejectedGone') : t('calls.rejected'));
  } catch (err) {
    btn.disabled = false;
    toast(errorText(err), 'error');
  }
}

/** A conversation going on: who talks with whom, since when. */
function talkingCard(call) {
  keepTicking();
  const p = view.party(call);
  const ours = call.outcome?.by || view.routeText(call);
  const since = call.answeredAt || call.startedAt;
  return h('article', { class: 'ringing-call talking-call', dataset: { callId: String(call.id) } },
    h('div', { class: 'ring-pulse talk-pulse', 'aria-hidden': 'true' }, icon('phone', 'icon ring-bell')),
    h('div', { class: 'ring-main' },
      h('div', { class: 'ring-name', title: p.name },
        h('span', { class: 'ring-name-text', text: p.name }), testTag(call)),
      h('div', { class: 'ring-sub', text: t('calls.onPhoneWith', { name: ours }) })),
    h('div', { class: 'ring-side' },
      h('span', { class: 'ring-timer', dataset: { since }, text: fmt.duration(Date.now() - (fmt.parseTime(since) || Date.now())) }),
      h('span', { class: 'ring-dir talk-word', text: t('calls.onPhone') })));
}

function sortedCalls() {
  return [...state.calls].sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id - a.id);
}

function renderLog() {
  const list = $('#call-list');
  const active = document.activeElement;
  const focusedRow = active?.closest?.('.call-row');
  const focusedId = focusedRow?.dataset.callId;
  const focusedAction = focusedRow && active !== focusedRow ? actionClass(active) : null;

  const now = new Date();
  const groups = [];
  let current = null;
  const repeats = missedRepeats();
  for (const call of sortedCalls()) {
    const repeat = repeats.get(call.id);
    // A repeated miss shows once, at its latest call, unless its number is expanded.
    if (repeat?.hidden) continue;
    const started = fmt.parseTime(call.startedAt) || now;
    const key = fmt.dayKey(started);
    if (!current || current.key !== key) {
      current = { key, label: fmt.dayLabel(started, now), rows: [] };
      groups.push(current);
    }
    current.rows.push(callRow(call, started, repeat));
  }
  list.replaceChildren(...groups.map((g) => h('section', { class: 'day-group', dataset: { day: g.key } },
    h('h3', { class: 'day-header', text: g.label }),
    h('div', { class: 'day-rows', role: 'list' }, g.rows))));

  renderEmpty(groups.length === 0);
  renderFoot();
  setRovingRow(focusedId ? rowById(focusedId) : null);
  if (focusedId) restoreFocus(focusedId, focusedAction);
}

function renderEmpty(isEmpty) {
  const empty = $('#calls-empty');
  const unfiltered = state.filter === 'all' && !state.search.trim();
  // A search that stopped early says in the foot what it read and offers to read on.
  empty.hidden = !isEmpty || (!state.loaded && !state.loadError) || (state.searchedTo !== null && !state.loadError);
  let text = unfiltered ? t('calls.empty') : t('calls.emptyFiltered');
  if (state.loadError) text = t('calls.loadFailed', { message: errorText(state.loadError) });
  $('.empty-text', empty).textContent = text;
  // The setup hint only helps when there are no calls at all.
  $('button', empty).hidden = !unfiltered || Boolean(state.loadError);
}

/** The "Test" tag of a call sent with the local test key, so nobody takes it for a real one. */
function testTag(call) {
  return call.test ? h('span', { class: 'tag tag-test', text: t('calls.testTag'), title: t('calls.testTagTitle') }) : null;
}

/**
 * In the missed view, misses from one number are one to-do: the latest call stands for all
 * ("3×"), the others show only when that number is expanded. Map call id -> { count, head,
 * hidden, ids }.
 */
function missedRepeats() {
  const repeats = new Map();
  if (state.filter !== 'missed') return repeats;
  const byNumber = new Map();
  for (const call of sortedCalls()) {
    if (!call.remoteE164) continue;
    if (!byNumber.has(call.remoteE164)) byNumber.set(call.remoteE164, []);
    byNumber.get(call.remoteE164).push(call);
  }
  for (const [number, calls] of byNumber) {
    if (calls.length < 2) continue;
    const open = state.expanded.has(number);
    const ids = calls.map((c) => c.id);
    calls.forEach((call, i) => repeats.set(call.id, {
      count: calls.length, head: i === 0, hidden: i > 0 && !open, ids, number, open,
    }));
  }
  return repeats;
}

function callRow(call, started, repeat = null) {
  const p = view.party(call);
  const o = view.outcome(call);
  const talk = view.talkTime(call);
  if (talk.since) keepTicking();
  const unseen = view.isUnseenMissed(call);
  const dirWord = call.direction === 'out' ? t('calls.dirOut') : t('calls.dirIn');
  const detail = [p.number, view.routeText(call)].filter(Boolean).join(' · ');

  return h('div', {
    class: `call-row${unseen ? ' unseen' : ''}`,
    role: 'listitem',
    tabindex: '-1',
    dataset: { callId: String(call.id), state: call.state, direction: call.direction, kind: o.kind },
  },
  // Absolutely placed in the row's left margin, so names stay aligned.
  unseen ? h('span', { class: 'unseen-dot', title: t('calls.unseen'), 'aria-label': t('calls.unseen') }) : null,
  h('span', { class: 'call-time', text: fmt.clock(started) }),
  h('span', { class: `call-dir dir-${call.direction}`, title: dirWord, 'aria-label': dirWord }, call.direction === 'out' ? '↗' : '↙'),
  h('div', { class: 'call-who' },
    h('div', { class: 'call-head' },
      h('span', { class: `call-party${p.withheld ? ' is-withheld' : ''}${p.known ? ' is-known' : ''}`, text: p.name }),
      h('span', { class: 'call-company', text: p.company }),
      p.blocked ? h('span', { class: 'tag tag-blocked', text: t('calls.blockedBadge') }) : null,
      testTag(call),
      repeat?.head ? h('button', {
        type: 'button', class: 'repeat-chip', tabindex: '-1', 'aria-expanded': String(repeat.open),
        dataset: { number: repeat.number },
        title: t(repeat.open ? 'calls.repeatLess' : 'calls.repeatMore'),
        text: t('calls.repeatCount', { count: repeat.count, time: fmt.clock(started) }),
      }) : null),
    h('div', { class: 'call-detail', text: detail, title: view.rawDetails(call) || null }),
    // Inside the name column so the outcome and duration stay readable while it shows.
    rowActions(call, p)),
  h('span', { class: `call-outcome outcome-${o.kind}` },
    h('span', { class: 'outcome-word', text: o.text }),
    view.outcomeNotes(call).map((n) => h('span', { class: `outcome-note note-${n.kind}`, text: n.text }))),
  h('span', {
    class: 'call-duration',
    dataset: talk.since ? { since: talk.since } : {},
    text: talk.since ? fmt.duration(Date.now() - fmt.parseTime(talk.since)) : talk.text,
  }));
}

function rowActions(call, p) {
  const number = view.dialable(call);
  const button = (cls, name, label) => h('button', {
    type: 'button', class: `row-action ${cls}`, tabindex: '-1', title: label, 'aria-label': label,
  }, icon(name));
  // At a desk of an office hub a missed call is everyone's to-do until someone marks it done.
  const todo = Boolean(store.get('overview')?.desk) && call.state === 'missed'
    && call.direction === 'in' && !call.handled;
  return h('div', { class: 'call-actions' },
    view.isUnseenMissed(call) ? button('action-mark-seen', 'check', t('action.markSeen')) : null,
    todo ? button('action-handled', 'done', t('action.handled')) : null,
    number ? button('action-call-back', 'phone', t('action.callBack')) : null,
    p.known ? button('action-edit-contact', 'edit', t('action.editContact'))
      : number ? button('action-add-contact', 'personAdd', t('action.addContact')) : null,
    number ? button('action-copy-number', 'copy', t('action.copyNumber')) : null,
    call.remoteE164 && !p.blocked ? button('action-block', 'block', t('action.block')) : null);
}

// Running timers (ringing cards, calls in progress) count from their timestamps locally.
/** The live timers' ticker: runs only while a timer is shown, so an idle window sleeps. */
let ticker = null;

/** Starts the ticker (if it is not running) for a live timer just drawn. */
function keepTicking() {
  if (ticker === null) ticker = setInterval(tick, 1000);
}

function tick() {
  const timers = document.querySelectorAll('[data-since]');
  if (!timers.length) {
    clearInterval(ticker);
    ticker = null;
    return;
  }
  const now = Date.now();
  for (const el of timers) {
    const since = fmt.parseTime(el.dataset.since);
    if (since) el.textContent = fmt.duration(now - since);
  }
}

// ---- row interaction -------------------------------------------------------------------

function callById(id) {
  const n = Number(id);
  return state.calls.find((c) => c.id === n) || state.ringing.get(n) || null;
}

function rowById(id) {
  return $(`#call-list .call-row[data-call-id="${CSS.escape(String(id))}"]`);
}

function actionClass(el) {
  return ['action-mark-seen', 'action-handled', 'action-call-back', 'action-add-contact', 'action-edit-contact', 'action-copy-number', 'action-block']
    .find((cls) => el?.classList?.contains(cls)) || null;
}

function restoreFocus(id, action) {
  const row = rowById(id);
  if (!row) return;
  const target = (action && $(`.${action}`, row)) || row;
  target.focus({ preventScroll: true });
}

// Roving tabindex: one row (and its buttons) in the tab order, so Tab leaves the long list.
function setRovingRow(row) {
  const rows = $$('#call-list .call-row');
  const chosen = row || rows[0] || null;
  for (const r of rows) {
    const on = r === chosen;
    r.tabIndex = on ? 0 : -1;
    for (const b of $$('.row-action', r)) b.tabIndex = on ? 0 : -1;
  }
}

function onRowFocus(ev) {
  const row = ev.target.closest('.call-row');
  if (row && row.tabIndex !== 0) setRovingRow(row);
}

function onListKey(ev) {
  const row = ev.target.closest('.call-row');
  if (!row) return;
  const rows = $$('#call-list .call-row');
  const index = rows.indexOf(row);
  let next = null;
  if (ev.key === 'ArrowDown') next = rows[index + 1];
  else if (ev.key === 'ArrowUp') next = rows[index - 1];
  else if (ev.key === 'Home') next = rows[0];
  else if (ev.key === 'End') next = rows[rows.length - 1];
  else if (ev.key === 'Enter' && ev.target === row) {
    ev.preventDefault();
    openRow(row);
    return;
  } else if (ev.key === ' ' && ev.target === row) {
    // Space ticks a missed call off the to-do list, like a checkbox.
    ev.preventDefault();
    const call = callById(row.dataset.callId);
    if (call) markSeen(call);
    return;
  } else return;
  ev.preventDefault();
  if (next) {
    next.focus();
    next.scrollIntoView({ block: 'nearest' });
  } else if (ev.key === 'ArrowDown' && state.more) {
    // Arrowing past the last row goes on into the next page, as scrolling does.
    const id = row.dataset.callId;
    loadOlder().then(() => {
      const after = $$('#call-list .call-row');
      const below = after[after.indexOf(rowById(id)) + 1];
      if (below) {
        below.focus();
        below.scrollIntoView({ block: 'nearest' });
      }
    });
  }
}

/** Enter / double-click: open the caller's contact, or start one for an unknown number. */
function openRow(row) {
  const call = callById(row.dataset.callId);
  if (!call) return;
  markSeen(call);
  if (call.contact?.contact) {
    store.emit('navigate', { view: 'contacts', contactId: call.contact.contact.id });
  } else if (view.dialable(call)) {
    store.emit('navigate', { view: 'contacts', prefillNumber: view.dialable(call) });
  }
}

async function onActionClick(ev) {
  const btn = ev.target.closest('.row-action');
  if (!btn) return;
  const call = callById(btn.closest('.call-row').dataset.callId);
  if (!call) return;
  const action = actionClass(btn);
  if (action === 'action-add-contact' || action === 'action-edit-contact') {
    openRow(btn.closest('.call-row'));
  } else if (action === 'action-copy-number') {
    const ok = await copyText(view.dialable(call));
    toast(ok ? t('calls.copied') : t('calls.copyFailed'), ok ? 'info' : 'error');
  } else if (action === 'action-mark-seen') {
    await markSeen(call);
  } else if (action === 'action-handled') {
    try {
      const done = await invoke('handle_call', { id: call.id, how: 'done' });
      onCallUpdated({ call: done });
      toast(t('calls.handledToast'));
    } catch (err) {
      toast(errorText(err), 'error');
    }
  } else if (action === 'action-call-back') {
    try {
      const how = await invoke('call_back', { number: view.dialable(call) });
      if (how?.via === 'sipgate') toast(t('calls.dialing', { number: view.dialable(call) }));
    } catch (err) {
      toast(errorText(err), 'error');
    }
  } else if (action === 'action-block') {
    await blockCaller(call);
  }
}

async function blockCaller(call) {
  const number = view.dialable(call);
  const e164 = call.remoteE164;
  if (!e164) return;
  const yes = await confirmDialog({
    title: t('block.title'),
    message: t('block.message', { number }),
    yes: t('block.yes'),
  });
  if (!yes) return;
  try {
    const blocking = await invoke('block_number', { e164 });
    // A contact is blocked by its mark; a stranger's number goes on the blocklist.
    const name = blocking?.kind === 'contact' ? blocking.value.name : number;
    toast(t('calls.blocked', { name }));
    await reloadCalls();
  } catch (err) {
    toast(errorText(err), 'error');
  }
}
