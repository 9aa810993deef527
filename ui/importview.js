// Words and elements for the import dialog, built from what the core sends: the detected
// format, where a record stood, a record as a preview row. No state lives here.
import { h } from './dom.js';
import { t } from './i18n.js';
import { errorText } from './feedback.js';

const KNOWN_LABELS = ['work', 'home', 'cell', 'fax', 'main', 'pager'];

/** The mapping choice in words; a field this window does not know keeps its name. */
export function fieldText(field) {
  const key = `import.field.${field}`;
  const text = t(key);
  return text === key ? field : text;
}

/** work/home/cell/fax/main/pager in the UI language; a column's own words stay as they are. */
export function labelText(label) {
  return KNOWN_LABELS.includes(label) ? t(`import.label.${label}`) : label;
}

export function fileName(path) {
  return path.split(/[\\/]/).pop() || path;
}

/** "vCard · UTF-8" / "CSV (Outlook, deutsch) · Windows-1252 · Trennzeichen ;" */
export function formatText(preview) {
  if (preview.format !== 'csv') return [t('import.formatVcard'), preview.encoding].join(' · ');
  const layout = preview.layout;
  const dialect = layout?.dialect;
  const name = !dialect || dialect === 'generic'
    ? t('import.formatCsv')
    : t('import.formatCsvDialect', { dialect: t(`import.dialect.${dialect}`) });
  const parts = [name, preview.encoding];
  if (layout?.delimiter) parts.push(t('import.delimiter', { delimiter: delimiterText(layout.delimiter) }));
  return parts.join(' · ');
}

function delimiterText(d) {
  if (d === '\t') return t('import.delimiterTab');
  if (d === ' ') return t('import.delimiterSpace');
  return d;
}

/** Line numbers stay plain ("Zeile 1207"), as an editor shows them. */
export function placeText(place) {
  if (place?.kind === 'card') return t('import.placeCard', { index: place.index, line: place.line });
  if (place?.kind === 'row') return t('import.placeRow', { line: place.line });
  return '';
}

/** The core says where reading stopped ("card 4 (line 31): …"); name the place in our words. */
export function errorDetail(err) {
  const message = String(err?.message ?? '');
  if (err?.code !== 'unreadable_file') {
    // A code we have words for says it in them; anything else shows the core's message.
    const key = `error.${err?.code}`;
    return t(key) !== key ? errorText(err) : message;
  }
  let m = /^card (\d+) \(line (\d+)\): ([\s\S]*)$/.exec(message);
  if (m) return `${placeText({ kind: 'card', index: Number(m[1]), line: Number(m[2]) })}: ${m[3]}`;
  m = /^line (\d+): ([\s\S]*)$/.exec(message);
  if (m) return `${placeText({ kind: 'row', line: Number(m[1]) })}: ${m[2]}`;
  return message;
}

/** One preview row: name (with a blocked tag), company, numbers as "mobil: 0171 …, Fax: …". */
export function sampleRow(record) {
  const numbers = [];
  (record.numbers || []).forEach((n, i) => {
    if (i > 0) numbers.push(', ');
    numbers.push(h('span', { class: 'sample-number' },
      n.label ? h('span', { class: 'sample-label', text: `${labelText(n.label)}: ` }) : null,
      n.number,
      n.switchboard ? h('span', { class: 'sample-label', text: ` (${t('contacts.switchboard')})` }) : null));
  });
  return h('tr', {},
    h('td', { class: 'sample-name' },
      record.name ? record.name : h('span', { class: 'muted', text: t('import.noName') }),
      record.blocked ? h('span', { class: 'tag tag-blocked', text: t('calls.blockedBadge') }) : null),
    h('td', { class: 'sample-company', text: record.company || '' }),
    h('td', { class: 'sample-numbers' }, numbers.length ? numbers : h('span', { class: 'muted', text: '—' })));
}
