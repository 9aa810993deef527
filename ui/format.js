// Locale-aware formatting with Intl, for the chosen UI locale (de-DE / en-GB).
import { locale, t } from './i18n.js';

const cache = new Map();

function fmt(kind, options) {
  const key = `${locale()}|${kind}`;
  if (!cache.has(key)) cache.set(key, new Intl.DateTimeFormat(locale(), options));
  return cache.get(key);
}

export function parseTime(value) {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** 09:41 */
export function clock(date) {
  return fmt('clock', { hour: '2-digit', minute: '2-digit' }).format(date);
}

/** 09:41:07 */
export function clockSeconds(date) {
  return fmt('clockSec', { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(date);
}

/** "Mo., 3. März" — the year only when it is not this year. */
export function longDate(date, now = new Date()) {
  if (date.getFullYear() === now.getFullYear()) {
    return fmt('day', { weekday: 'short', day: 'numeric', month: 'long' }).format(date);
  }
  return fmt('dayYear', { weekday: 'short', day: 'numeric', month: 'long', year: 'numeric' }).format(date);
}

/** 03.03.25 09:41 / 03/03/2025, 09:41 — compact for tables. */
export function shortDateTime(date) {
  return fmt('shortDT', { dateStyle: 'short', timeStyle: 'short' }).format(date);
}

/** Local calendar day as a sortable key. */
export function dayKey(date) {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

export function isSameDay(a, b) {
  return dayKey(a) === dayKey(b);
}

/** "Heute" / "Gestern" / a date. */
export function dayLabel(date, now = new Date()) {
  if (isSameDay(date, now)) return t('calls.today');
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (isSameDay(date, yesterday)) return t('calls.yesterday');
  return longDate(date, now);
}

/** m:ss, or h:mm:ss from an hour on. Negative or missing durations give "". */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  const total = Math.floor(ms / 1000);
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const hrs = Math.floor(total / 3600);
  const ss = String(s).padStart(2, '0');
  return hrs > 0 ? `${hrs}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function integer(n) {
  return new Intl.NumberFormat(locale()).format(n);
}

/** "1 Kontakt" / "4.812 Kontakte": the dictionaries hold `<key>.one` and `<key>.other`. */
export function plural(key, count, vars = {}) {
  return t(`${key}.${count === 1 ? 'one' : 'other'}`, { ...vars, count: integer(count) });
}

/** "Alice, Bob und Carol" / "Alice, Bob and Carol". */
export function list(items) {
  if (!items.length) return '';
  if (typeof Intl.ListFormat === 'function') {
    return new Intl.ListFormat(locale(), { style: 'long', type: 'conjunction' }).format(items);
  }
  return items.join(', ');
}
