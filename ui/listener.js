// Listener status in plain words, shared by the rail, the setup page and the settings message.
import { t } from './i18n.js';

/** Maps an OS bind error to a short reason key (raw error text stays available as a tooltip). */
export function failureKind(error) {
  const e = String(error || '').toLowerCase();
  if (e.includes('in use') || e.includes('os error 98') || e.includes('os error 10048')) return 'portInUse';
  if (e.includes('permission') || e.includes('os error 13')) return 'permission';
  if (e.includes('assign requested address') || e.includes('os error 99') || e.includes('not available')) return 'noAddress';
  return null;
}

/** Short rail text: "bereit · 127.0.0.1:8080", "Port belegt", "startet …". */
export function railText(status) {
  if (!status) return t('listener.starting');
  if (status.state === 'listening') return t('listener.listening', { address: status.address });
  if (status.state === 'failed') {
    const kind = failureKind(status.error);
    return kind ? t(`listener.${kind}`) : t('listener.failed');
  }
  return t('listener.starting');
}

/** The reason as a clause for longer sentences; the raw error when it is not a known one. */
export function reasonText(status) {
  const kind = failureKind(status?.error);
  if (kind) return t(`setup.reason${kind[0].toUpperCase()}${kind.slice(1)}`);
  return status?.error || t('listener.failed');
}
