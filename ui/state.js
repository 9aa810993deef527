// Shared app state with a minimal publish/subscribe, so views can react to the listener,
// settings and navigation requests without importing each other.

const values = new Map();
const subscribers = new Map();

export function get(key) {
  return values.get(key);
}

export function set(key, value) {
  values.set(key, value);
  emit(key, value);
}

export function on(key, fn) {
  if (!subscribers.has(key)) subscribers.set(key, new Set());
  subscribers.get(key).add(fn);
  return () => subscribers.get(key).delete(fn);
}

/** Fire-and-forget message (e.g. 'navigate'); not stored. */
export function emit(key, value) {
  for (const fn of subscribers.get(key) || []) {
    try {
      fn(value);
    } catch (err) {
      console.error('subscriber failed', key, err);
    }
  }
}
