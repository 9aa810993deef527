// The only door to the Rust side: window.__TAURI__ (withGlobalTauri). Errors are
// normalised to { code, message, field? } so callers can branch on `code`.

function tauri() {
  const t = window.__TAURI__;
  if (!t || !t.core || !t.event) throw { code: 'unavailable', message: 'window.__TAURI__ missing' };
  return t;
}

export function normalizeError(err) {
  if (err && typeof err === 'object' && typeof err.code === 'string') {
    return { code: err.code, message: String(err.message ?? ''), field: err.field };
  }
  if (typeof err === 'string') {
    // A command that failed before reaching our error type (e.g. bad arguments) rejects with a string.
    return { code: 'unknown', message: err };
  }
  return { code: 'unknown', message: String(err?.message ?? err) };
}

export async function invoke(cmd, args) {
  try {
    return await tauri().core.invoke(cmd, args);
  } catch (err) {
    throw normalizeError(err);
  }
}

/** Subscribe to a backend event; the callback gets the payload only. */
export function listen(name, callback) {
  try {
    return tauri().event.listen(name, (ev) => callback(ev.payload));
  } catch (err) {
    console.error('listen failed', name, err);
    return Promise.resolve(() => {});
  }
}
