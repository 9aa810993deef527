// A small drop-down menu for a button (WAI-ARIA menu button): opens on click, Enter, Space
// or ArrowDown; arrows, Home and End move; Esc and Tab close; a click outside closes.
import { $$ } from './dom.js';

/** Wires `button` to `menu`; onPick(item) runs after the menu closed. */
export function menuButton(button, menu, onPick) {
  const items = () => $$('[role="menuitem"]', menu).filter((i) => !i.disabled);

  function open(focusLast = false) {
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    const list = items();
    (focusLast ? list[list.length - 1] : list[0])?.focus();
    document.addEventListener('pointerdown', onOutside, true);
  }

  function close(returnFocus = true) {
    if (menu.hidden) return;
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', onOutside, true);
    if (returnFocus) button.focus();
  }

  function onOutside(ev) {
    if (!menu.contains(ev.target) && !button.contains(ev.target)) close(false);
  }

  button.addEventListener('click', () => (menu.hidden ? open() : close()));
  button.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      open(ev.key === 'ArrowUp');
    }
  });

  menu.addEventListener('keydown', (ev) => {
    const list = items();
    const index = list.indexOf(document.activeElement);
    let next = null;
    if (ev.key === 'ArrowDown') next = list[(index + 1) % list.length];
    else if (ev.key === 'ArrowUp') next = list[(index - 1 + list.length) % list.length];
    else if (ev.key === 'Home') next = list[0];
    else if (ev.key === 'End') next = list[list.length - 1];
    else if (ev.key === 'Escape') {
      ev.preventDefault();
      ev.stopPropagation();
      close();
      return;
    } else if (ev.key === 'Tab') {
      close(false);
      return;
    } else return;
    ev.preventDefault();
    next?.focus();
  });

  menu.addEventListener('click', (ev) => {
    const item = ev.target.closest('[role="menuitem"]');
    if (!item || item.disabled) return;
    close();
    onPick(item);
  });
}
