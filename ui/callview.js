// How a CallEntry reads: who, what happened, how long. Pure functions over the entry,
// shared by the ringing cards and the log rows, so both always say the same thing.
import { t } from './i18n.js';
import * as fmt from './format.js';

/** The best human label for the other party. */
export function party(call) {
  const match = call.contact;
  if (match && match.contact) {
    return {
      name: match.contact.name,
      company: match.contact.company || '',
      number: call.remoteDisplay || call.remoteE164 || '',
      known: true,
      blocked: Boolean(match.contact.blocked),
      withheld: false,
    };
  }
  if (call.withheld) {
    return { name: t('calls.withheld'), company: '', number: '', known: false, blocked: false, withheld: true };
  }
  return {
    name: call.remoteDisplay || call.remote || t('calls.unknown'),
    company: '',
    number: '',
    known: false,
    blocked: false,
    withheld: false,
  };
}

/** The number to copy, block or prefill; null when withheld. */
export function dialable(call) {
  if (call.withheld) return null;
  return call.remoteDisplay || call.remoteE164 || call.remote || null;
}

/** "→ Support (Alice, Bob)" / "für Alice" — which line rang and whom. */
export function routeText(call) {
  const users = (call.users || []).filter((u) => u && u !== 'voicemail');
  const who = fmt.list(users);
  const line = call.lineDisplay || call.line;
  if (line && who) return `→ ${line} (${who})`;
  if (line) return `→ ${line}`;
  if (who) return t('calls.ringsFor', { users: who });
  return '';
}

function forwardTarget(call) {
  const path = call.path || [];
  return path.length ? path[path.length - 1] : null;
}

/**
 * The outcome in words plus a colour kind: ringing | answered | missed | busy | voicemail | neutral.
 * Colour is never the only signal: every kind has a word.
 */
export function outcome(call) {
  const out = call.direction === 'out';
  switch (call.state) {
    case 'ringing':
      return { kind: 'ringing', text: t('outcome.ringing') };
    case 'answered':
      if (call.answeredBy === 'voicemail') return { kind: 'voicemail', text: t('outcome.voicemail') };
      if (out) return { kind: 'answered', text: t('outcome.connected') };
      return call.answeredBy
        ? { kind: 'answered', text: t('outcome.answeredBy', { name: call.answeredBy }) }
        : { kind: 'answered', text: t('outcome.answered') };
    case 'missed':
      return out ? { kind: 'neutral', text: t('outcome.noAnswer') } : { kind: 'missed', text: t('outcome.missed') };
    case 'busy':
      return { kind: 'busy', text: t('outcome.busy') };
    case 'rejected':
      return { kind: 'busy', text: t('outcome.rejected') };
    case 'voicemail':
      return { kind: 'voicemail', text: t('outcome.voicemail') };
    case 'forwarded': {
      const target = forwardTarget(call);
      if (target === 'voicemail') return { kind: 'voicemail', text: t('outcome.voicemail') };
      if (target) return { kind: call.answeredAt ? 'answered' : 'neutral', text: t('outcome.forwardedTo', { name: target }) };
      return { kind: 'neutral', text: t('outcome.forwarded') };
    }
    default:
      // "ended" after an answer (e.g. closed without hangup) still says who took it.
      if (call.answeredBy && call.answeredBy !== 'voicemail' && !out) {
        return { kind: 'answered', text: t('outcome.answeredBy', { name: call.answeredBy }) };
      }
      return { kind: 'neutral', text: t('outcome.ended') };
  }
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
  if (call.expired) notes.push({ kind: 'expired', text: t('outcome.expired') });
  return notes;
}

/**
 * Talk time: { text } when finished, { since } for a call still in progress (ticks live),
 * or { text: '' } when there was no conversation.
 */
export function talkTime(call) {
  const answered = fmt.parseTime(call.answeredAt);
  if (!answered) return { text: '' };
  const ended = fmt.parseTime(call.endedAt);
  if (ended) return { text: fmt.duration(ended - answered) };
  if (call.state === 'answered' && !call.expired) return { since: call.answeredAt };
  return { text: '' };
}

export function isUnseenMissed(call) {
  return call.state === 'missed' && call.direction === 'in' && !call.seenAt;
}

/** Client-side mirror of the backend filter, for live updates. */
export function matchesFilter(call, filter) {
  switch (filter) {
    case 'missed': return call.state === 'missed';
    case 'incoming': return call.direction === 'in';
    case 'outgoing': return call.direction === 'out';
    default: return true;
  }
}

/** Client-side mirror of the backend search (text and digits), for live updates. */
export function matchesSearch(call, search) {
  const q = search.trim().toLowerCase();
  if (!q) return true;
  const c = call.contact?.contact;
  const hay = [c?.name, c?.company, call.remoteDisplay, call.remoteE164, call.remote, call.line, ...(call.users || []), call.answeredBy]
    .filter(Boolean).join(' ').toLowerCase();
  if (hay.includes(q)) return true;
  // "0211 123" should find "+492111234567": compare digits, ignoring a trunk 0.
  const digits = q.replace(/\D/g, '').replace(/^0+/, '');
  if (digits.length < 3) return false;
  const numbers = [call.remoteDisplay, call.remoteE164, call.remote].filter(Boolean).map((n) => n.replace(/\D/g, ''));
  return numbers.some((n) => n.includes(digits));
}
