// Dictionaries and live language switching. Every user-visible string comes from
// i18n/<lang>.json; static markup names its key in data-i18n* attributes.

const dictionaries = {};
let current = 'en';
const listeners = new Set();

const LOCALES = { de: 'de-DE', en: 'en-GB' };

async function load(lang) {
  if (!dictionaries[lang]) {
    const res = await fetch(`i18n/${lang}.json`);
    dictionaries[lang] = await res.json();
  }
  return dictionaries[lang];
}

/** "auto" follows the browser/system language: German for any de-*, else English. */
export function resolveLanguage(setting) {
  if (setting === 'de' || setting === 'en') return setting;
  const nav = (navigator.language || '').toLowerCase();
  return nav.startsWith('de') ? 'de' : 'en';
}

export function language() {
  return current;
}

export function locale() {
  return LOCALES[current];
}

/** Switches the language (no-op when unchanged unless forced) and re-renders listeners. */
export async function setLanguage(lang, force = false) {
  const next = lang === 'de' ? 'de' : 'en';
  // English is the fallback for keys a dictionary lacks, so load it too.
  await Promise.all([load(next), load('en')]);
  if (next === current && !force) return;
  current = next;
  document.documentElement.lang = next;
  applyStatic(document);
  for (const fn of listeners) fn(next);
}

export function onLanguageChange(fn) {
  listeners.add(fn);
}

/** t('calls.ringsFor', { users: 'Alice' }) → "für Alice". Unknown keys show the key. */
export function t(key, vars) {
  const text = dictionaries[current]?.[key] ?? dictionaries.en?.[key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** Fills text, placeholders, titles and aria-labels of static markup under root. */
export function applyStatic(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  document.title = t('app.title');
}
