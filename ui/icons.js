// Line icons drawn as SVG through DOM APIs (no innerHTML); they take the text colour,
// so light/dark and state colours apply without extra files.

const SVG = 'http://www.w3.org/2000/svg';

// 24×24 stroke paths, drawn for this app.
const PATHS = {
  personAdd: ['M15 19c0-2.8-2.7-5-6-5s-6 2.2-6 5', 'M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z', 'M19 8v6', 'M16 11h6'],
  edit: ['M4 20h4L19 9l-4-4L4 16v4z', 'M13.5 6.5l4 4'],
  copy: ['M9 9h10v11H9z', 'M5 15H4V4h11v1'],
  block: ['M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z', 'M5.6 5.6l12.8 12.8'],
  plus: ['M12 5v14', 'M5 12h14'],
  remove: ['M6 6l12 12', 'M18 6L6 18'],
  bell: ['M6 16V11a6 6 0 0 1 12 0v5l1.5 2h-15z', 'M10 20.5a2 2 0 0 0 4 0'],
  search: ['M10.5 17a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13z', 'M15.5 15.5L20 20'],
  check: ['M5 12.5l4.5 4.5L19 7.5'],
  // Two ticks: done, for everyone.
  done: ['M2.5 12.5l4 4L15 8', 'M10.5 16.5l1 1L21.5 8'],
  // A handset: a call in progress.
  phone: ['M6.5 3.5h3l1.5 4-2 1.5a11 11 0 0 0 6 6l1.5-2 4 1.5v3a2 2 0 0 1-2 2A16 16 0 0 1 4.5 5.5a2 2 0 0 1 2-2z'],
  import: ['M12 4v11', 'M7.5 10.5L12 15l4.5-4.5', 'M4 15v4h16v-4'],
  export: ['M12 15V4', 'M7.5 8.5L12 4l4.5 4.5', 'M4 15v4h16v-4'],
};

export function icon(name, className = 'icon') {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', className);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const d of PATHS[name] || []) {
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}
