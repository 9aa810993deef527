// Tiny DOM builder. Everything that reaches the page goes through textContent or
// setAttribute, never through HTML parsing, so push and contact data cannot inject markup
// (and the strict CSP stays happy).

/**
 * h('div', { class: 'x', dataset: { callId: 3 }, text: 'hi', on: { click } }, child, ...)
 * Children may be nodes, strings (become text nodes), arrays, or null/false (skipped).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

function applyProps(el, props) {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'on') for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    else if (key === 'hidden') el.hidden = Boolean(value);
    else if (key === 'checked' || key === 'value' || key === 'disabled') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

/** Trailing-edge debounce; the returned function has .flush() and .cancel(). */
export function debounce(fn, ms) {
  let timer = null;
  let lastArgs = [];
  const run = () => { timer = null; fn(...lastArgs); };
  const debounced = (...args) => {
    lastArgs = args;
    clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
  debounced.flush = () => { if (timer) { clearTimeout(timer); run(); } };
  debounced.cancel = () => { clearTimeout(timer); timer = null; };
  return debounced;
}

/** True while the user is typing somewhere, so global shortcuts keep out of the way. */
export function isTyping(target) {
  if (!(target instanceof Element)) return false;
  return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
}
