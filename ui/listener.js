// Listener status in plain words, shared by the rail, the setup page and the settings message.
import { t } from './i18n.js';

/** The core's typed bind failure (portInUse, permission, noAddress), or null for others. */
export function failureKind(status) {
  const kind = status?.failure;
  return kind && kind !== 'other' ? kind : null;
}

/** The core's warnings about settings that leave the listener open, in words. */
export function warningTexts(status) {
  return (status?.warnings || []).map((kind) => t(`listener.warn.${kind}`));
}

/** Short rail text: "bereit · 127.0.0.1:8080", "Port belegt", "startet …". */
export function railText(status) {
  if (!status) return t('listener.starting');
  // Listening but losing calls outranks everything else the rail could say.
  if (status.storeError) return t('listener.storeFailed', { reason: status.storeError });
  if (status.state === 'listening') return t('listener.listening', { address: status.address });
  if (status.state === 'failed') {
    const kind = failureKind(status);
    return kind ? t(`listener.${kind}`) : t('listener.failed');
  }
  return t('listener.starting');
}

/** The reason as a clause for longer sentences; the raw error when it is not a known one. */
export function reasonText(status) {
  const kind = failureKind(status);
  if (kind) return t(`setup.reason${kind[0].toUpperCase()}${kind.slice(1)}`);
  return status?.error || t('listener.failed');
}
