// How a CallEntry reads: who, what happened, how long. Pure functions over the entry,
// shared by the ringing cards and the log rows, so both always say the same thing.
import { t } from './i18n.js';
import * as fmt from './format.js';

/** The other party as the core resolved it: contact and company, else the number, else withheld. */
export function party(call) {
  const p = call.party || {};
  switch (p.kind) {
    case 'contact':
      return { name: p.name, company: p.company || '', number: p.number || '', known: true, blocked: Boolean(p.blocked), withheld: false };
    case 'withheld':
      return { name: t('calls.withheld'), company: '', number: '', known: false, blocked: false, withheld: true };
    case 'number':
      return { name: p.number, company: '', number: '', known: false, blocked: false, withheld: false };
    default:
      return { name: t('calls.unknown'), company: '', number: '', known: false, blocked: false, withheld: false };
  }
}

/**
 * The number to copy, block or prefill; null when withheld or when the other party is no
 * number (its raw value is only for the call's details, never something to dial).
 */
export function dialable(call) {
  if (call.withheld) return null;
  return call.remoteDisplay || call.remoteE164 || null;
}

/**
 * The raw values behind an "unknown number" (the other party, our line), for the row's
 * details on hover: never shown as a name, never offered to dial.
 */
export function rawDetails(call) {
  const raw = [];
  if (!call.withheld && !call.remoteE164 && call.remote) raw.push(call.remote);
  if (call.lineUnknown && call.line) raw.push(`→ ${call.line}`);
  return raw.join(' · ');
}

/** "→ Support (Alice, Bob)" / "für Alice" — which line rang and whom. */
export function routeText(call) {
  const who = fmt.list(call.rung || []);
  // A line that is no number reads as unknown; its raw value is only in the details.
  const line = call.lineUnknown ? t('calls.unknown') : call.lineDisplay || call.line;
  if (line && who) return `→ ${line} (${who})`;
  if (line) return `→ ${line}`;
  if (who) return t('calls.ringsFor', { users: who });
  return '';
}

/** The colour of each outcome code; the word always comes with it, colour is never alone. */
const TONE = {
  ringing: 'ringing',
  talking: 'answered',
  answered: 'answered',
  not_answered: 'neutral',
  missed: 'missed',
  busy: 'busy',
  rejected: 'busy',
  voicemail: 'voicemail',
  forwarded: 'neutral',
  ended: 'neutral',
  expired: 'neutral',
};

/**
 * The outcome the core derived, in words: `outcome.<code>`, or `outcome.<code>By` with a name.
 * The same rule and the same dictionaries give the popup's, the CLI's and the export's words.
 */
export function outcome(call) {
  const o = call.outcome || { code: 'ended' };
  const key = o.by ? `outcome.${o.code}By` : `outcome.${o.code}`;
  return { kind: TONE[o.code] || 'neutral', text: t(key, { name: o.by || '' }) };
}

/** Extra notes after the outcome: called back, closed without hangup. */
export function outcomeNotes(call) {
  const notes = [];
  if (call.calledBackAt) {
    notes.push({
      kind: 'calledback',
      text: call.calledBackBy ? t('outcome.calledBackBy', { name: call.calledBackBy }) : t('outcome.calledBack'),
    });
  }
  if (call.handled) {
    // The office's shared to-do: who dealt with the missed call, and when.
    const at = fmt.parseTime(call.handled.at);
    const vars = { name: call.handled.by_name, time: at ? fmt.shortDateTime(at) : '' };
    const key = call.handled.how === 'called_back' ? 'outcome.calledBackHandled' : 'outcome.handledBy';
    notes.push({ kind: 'handled', text: t(key, vars) });
  }
  if (call.outcome?.expired) notes.push({ kind: 'expired', text: t('outcome.noHangup') });
  return notes;
}

/**
 * Talk time: { text } when finished, { since } for a call still in progress (ticks live),
 * or { text: '' } when there was no conversation.
 */
export function talkTime(call) {
  if (call.talkSeconds !== null && call.talkSeconds !== undefined) return { text: fmt.duration(call.talkSeconds * 1000) };
  if (call.outcome?.code === 'talking' && call.answeredAt) return { since: call.answeredAt };
  return { text: '' };
}

export function isUnseenMissed(call) {
  return Boolean(call.outcome?.unseen);
}
