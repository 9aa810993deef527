// Small shared interactions: the confirmation dialog, a transient toast, and copying text.
import { $ } from './dom.js';
import { t } from './i18n.js';

/**
 * Asks in #confirm-dialog; resolves true only for #confirm-yes.
 * Esc and #confirm-no resolve false (the native <dialog> handles Esc as "cancel").
 */
export function confirmDialog({ title, message, yes }) {
  const dialog = $('#confirm-dialog');
  $('#confirm-title').textContent = title;
  $('#confirm-message').textContent = message;
  $('#confirm-yes').textContent = yes;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
    dialog.showModal();
    // Start on the safe choice so a stray Enter never deletes or blocks.
    $('#confirm-no').focus();
  });
}

let toastTimer = null;

/** Shows a short message at the bottom; kind 'error' colours it. `ms` keeps longer ones up. */
export function toast(message, kind = 'info', ms = kind === 'error' ? 6000 : 2500) {
  const el = $('#toast');
  el.textContent = message;
  el.dataset.kind = kind;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, ms);
}

/** Copies text; falls back to a hidden textarea where the async clipboard is not allowed. */
export async function copyText(text) {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the legacy path (e.g. no permission in this webview)
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

/** Translated text for an error from the backend; `message` is only the fallback. */
export function errorText(err) {
  const code = err?.code;
  const key = `error.${code}`;
  const vars = { message: err?.message ?? '', position: err?.field?.position ?? '' };
  const text = t(key, vars);
  return text === key ? t('error.generic', vars) : text;
}
