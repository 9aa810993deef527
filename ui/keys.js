// The keyboard help (`?`): every shortcut the window knows, in the window's language.
import { $, h } from './dom.js';
import { t, onLanguageChange } from './i18n.js';

/** Each shortcut: the keys to press (alternatives), and what it does. */
const SHORTCUTS = [
  [['Ctrl+F', '/'], 'keys.search'],
  [['Ctrl+N'], 'keys.newContact'],
  [['Esc'], 'keys.escape'],
  [['↑', '↓'], 'keys.move'],
  [['Enter'], 'keys.open'],
  [['Space'], 'keys.seen'],
  [['Alt+1 … 4'], 'keys.views'],
  [['?'], 'keys.help'],
];

function keyCaps(keys) {
  const cell = h('th', { scope: 'row' });
  keys.forEach((key, i) => {
    if (i > 0) cell.append(' ', t('keys.or'), ' ');
    cell.append(h('kbd', {}, key.replace('Ctrl', t('keys.ctrl')).replace('Space', t('keys.space'))));
  });
  return cell;
}

function render() {
  $('#keys-list').replaceChildren(...SHORTCUTS.map(([keys, what]) => h('tr', {}, keyCaps(keys), h('td', {}, t(what)))));
}

/** Opens the keyboard help. */
export function showKeys() {
  render();
  $('#keys-dialog').showModal();
}

export function initKeys() {
  onLanguageChange(render);
}
