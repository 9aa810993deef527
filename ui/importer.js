// The import dialog: pick a file (native dialog in the core), preview what was read, let
// the user fix the CSV column mapping, then a dry run or the real import with progress and a
// report. Nothing is written before "Import"; an import is one transaction in the core, so
// an error means nothing was imported.
import { invoke, listen } from './api.js';
import { h, $, $$ } from './dom.js';
import { t, onLanguageChange } from './i18n.js';
import * as fmt from './format.js';
import { toast, errorText } from './feedback.js';
import { fieldText, labelText, fileName, formatText, placeText, errorDetail, sampleRow } from './importview.js';

const FIELDS = ['ignore', 'name', 'firstName', 'middleName', 'lastName', 'company', 'notes', 'phone', 'blocked', 'switchboard'];
const PHONE_LABELS = ['', 'work', 'home', 'cell', 'fax', 'main'];
const SKIPPED_SHOWN = 200;

const state = {
  phase: 'idle', // idle | loading | ready | running | done
  path: null,
  preview: null,
  headers: [],
  initial: [], // the mapping the core detected, one Field per column
  choices: [], // the mapping as the user left it
  error: null,
  errorFrom: null, // 'preview' blocks running; after a failed 'run' the user may try again
  report: null,
  progress: null, // { done, total } of the running import
  dryRun: false,
  seq: 0, // guards against out-of-order preview answers
};

export function initImporter() {
  const dialog = $('#import-dialog');
  $('#import-cancel').addEventListener('click', () => dialog.close());
  $('#import-dry-run').addEventListener('click', () => runImport(true));
  $('#import-start').addEventListener('click', () => runImport(false));
  $('#import-other').addEventListener('click', startImport);
  // The import runs in one transaction and cannot be stopped halfway: keep the dialog.
  dialog.addEventListener('cancel', (ev) => {
    if (state.phase === 'running') ev.preventDefault();
  });
  dialog.addEventListener('close', () => {
    if (state.phase !== 'running') reset();
  });
  $('#import-mapping').addEventListener('change', onMappingChange);
  listen('import://progress', onProgress);
  onLanguageChange(() => {
    if (state.phase === 'idle') return;
    renderMapping();
    render();
  });
}

/** Import…: the native file dialog, then the dialog with the file's preview. */
export async function startImport() {
  const dialog = $('#import-dialog');
  if (state.phase === 'running') {
    if (!dialog.open) dialog.showModal(); // closed while running: show the progress again
    return;
  }
  let path;
  try {
    path = await invoke('pick_import_file');
  } catch (err) {
    toast(errorText(err), 'error');
    return;
  }
  if (!path) return; // cancelled
  reset();
  state.path = path;
  state.phase = 'loading';
  render();
  if (!dialog.open) dialog.showModal();
  await loadPreview();
  if (state.preview && dialog.open) $('#import-dry-run').focus();
}

function reset() {
  state.seq++;
  Object.assign(state, { phase: 'idle', path: null, preview: null, headers: [], initial: [], choices: [], error: null, errorFrom: null, report: null, progress: null });
  $('#mapping-used').replaceChildren();
  $('#mapping-ignored').replaceChildren();
  $('#mapping-more').open = false;
}

// ---- preview and mapping -------------------------------------------------------------------

async function loadPreview() {
  const seq = ++state.seq;
  const first = !state.preview;
  setBusy(t(first ? 'import.reading' : 'import.updating'));
  try {
    const preview = await invoke('preview_import', { path: state.path, format: null, overrides: overrides() });
    if (seq !== state.seq) return;
    state.preview = preview;
    state.error = null;
    state.errorFrom = null;
    if (first) {
      state.headers = preview.layout?.headers ?? [];
      state.initial = (preview.layout?.mapping ?? []).map(normalField);
      state.choices = state.initial.map((f) => ({ ...f }));
      renderMapping();
    }
    state.phase = 'ready';
  } catch (err) {
    if (seq !== state.seq) return;
    state.error = err;
    state.errorFrom = 'preview';
    state.phase = 'ready';
  }
  setBusy('');
  render();
}

function normalField(f) {
  return f?.field === 'phone' ? { field: 'phone', label: f.label ?? '' } : { field: f?.field ?? 'ignore' };
}

const fieldKey = (f) => (f.field === 'phone' ? `phone:${f.label}` : f.field);

/** One override for every column the user changed from what the core detected. */
function overrides() {
  const list = [];
  state.choices.forEach((f, i) => {
    if (fieldKey(f) !== fieldKey(state.initial[i])) list.push({ column: state.headers[i], field: f });
  });
  return list;
}

function onMappingChange(ev) {
  const row = ev.target.closest('.mapping-row');
  if (!row || state.phase === 'running') return;
  const index = Number(row.dataset.column);
  const field = $('.mapping-field', row).value;
  const labelSelect = $('.mapping-label', row);
  labelSelect.hidden = field !== 'phone';
  state.choices[index] = field === 'phone' ? { field, label: labelSelect.value } : { field };
  row.classList.toggle('is-changed', fieldKey(state.choices[index]) !== fieldKey(state.initial[index]));
  state.report = null; // a report for another mapping would mislead
  loadPreview();
}

/** Rows are built once per file, grouped by what the core detected, so none jumps on change. */
function renderMapping() {
  const used = [];
  const ignored = [];
  state.headers.forEach((header, index) => {
    (state.initial[index].field === 'ignore' ? ignored : used).push(mappingRow(header, index));
  });
  $('#mapping-used').replaceChildren(...used);
  $('#mapping-ignored').replaceChildren(...ignored);
  $('#mapping-more').hidden = ignored.length === 0;
  $('#mapping-more-summary').textContent = fmt.plural('import.ignoredColumns', ignored.length);
}

function mappingRow(header, index) {
  const choice = state.choices[index];
  const id = `mapping-${index}`;
  const name = header.trim() || t('import.columnUnnamed', { n: index + 1 });
  const fields = FIELDS.includes(choice.field) ? FIELDS : [...FIELDS, choice.field];
  const fieldSelect = h('select', { class: 'mapping-field', id },
    fields.map((f) => h('option', { value: f, text: fieldText(f) })));
  fieldSelect.value = choice.field;

  const current = choice.field === 'phone' ? choice.label : '';
  const labels = PHONE_LABELS.includes(current) ? PHONE_LABELS : [...PHONE_LABELS, current];
  const labelSelect = h('select', {
    class: 'mapping-label',
    'aria-label': t('import.labelFor', { column: name }),
    hidden: choice.field !== 'phone',
  }, labels.map((l) => h('option', { value: l, text: l ? labelText(l) : t('import.labelNone') })));
  labelSelect.value = current;

  const changed = fieldKey(choice) !== fieldKey(state.initial[index]);
  return h('div', { class: `mapping-row${changed ? ' is-changed' : ''}`, dataset: { column: String(index) } },
    h('label', { class: 'mapping-column', for: id, title: name, text: name }),
    fieldSelect,
    labelSelect);
}

// ---- running -------------------------------------------------------------------------------

async function runImport(dryRun) {
  if (state.phase !== 'ready' || !state.preview) return;
  state.phase = 'running';
  state.dryRun = dryRun;
  state.progress = null;
  state.error = null;
  state.errorFrom = null;
  state.report = null;
  render();
  let report = null;
  try {
    report = await invoke('run_import', { path: state.path, format: state.preview.format, overrides: overrides(), dryRun });
    state.report = report;
    state.phase = dryRun ? 'ready' : 'done';
  } catch (err) {
    state.error = err;
    state.errorFrom = 'run';
    state.phase = 'ready';
  }
  const dialog = $('#import-dialog');
  if (!dialog.open) {
    // Closed while running (Esc twice): say how it ended, then forget it.
    if (report) toast(t('import.finishedToast', { created: fmt.integer(report.created), updated: fmt.integer(report.updated), skipped: fmt.integer(report.skipped.length) }), 'info', 6000);
    else toast(errorText(state.error), 'error');
    reset();
    return;
  }
  render();
  $('#import-body').scrollTop = 0;
  if (state.report) $('#import-report-title').focus();
  else $('#import-dry-run').focus();
}

function onProgress(payload) {
  if (state.phase !== 'running' || !payload) return;
  state.progress = { done: Number(payload.done) || 0, total: Number(payload.total) || 0 };
  renderProgress();
}

// ---- rendering -----------------------------------------------------------------------------

function render() {
  const { phase, preview, error } = state;
  const running = phase === 'running';
  const done = phase === 'done';
  renderHead();
  renderError();
  renderReport();
  // Nothing to show yet while the file is first read: no empty band between head and buttons.
  $('#import-body').hidden = !preview && !error;

  $('#import-mapping').hidden = !preview?.layout || done;
  $('#import-sample').hidden = !preview || done;
  if (preview) renderSample();
  for (const select of $$('#import-mapping select')) select.disabled = running;

  $('#import-running').hidden = !running;
  if (running) renderProgress();

  const cancel = $('#import-cancel');
  cancel.textContent = t(done || (!preview && error) ? 'import.close' : 'confirm.no');
  cancel.disabled = running;
  const canRun = phase === 'ready' && Boolean(preview) && state.errorFrom !== 'preview';
  $('#import-other').hidden = phase === 'loading' || running;
  for (const id of ['#import-dry-run', '#import-start']) {
    const button = $(id);
    button.hidden = done || (!preview && Boolean(error));
    button.disabled = !canRun;
  }
}

function renderHead() {
  const preview = state.preview;
  $('#import-file').textContent = fileName(state.path || '');
  $('#import-file').title = state.path || '';
  $('#import-meta').textContent = preview
    ? [formatText(preview), fmt.plural('import.records', preview.total)].join(' · ')
    : '';
}

function renderError() {
  const err = state.error;
  $('#import-error').hidden = !err;
  if (!err) return;
  const unreadable = err.code === 'unreadable_file';
  $('#import-error-lead').textContent = t(unreadable ? 'import.unreadable' : 'import.failed');
  $('#import-error-detail').textContent = errorDetail(err);
}

function renderSample() {
  const { records, total } = state.preview;
  $('#import-sample-title').textContent = total > records.length
    ? t('import.sampleSome', { shown: fmt.integer(records.length), total: fmt.integer(total) })
    : t('import.sampleAll');
  const rows = records.length
    ? records.map(sampleRow)
    : [h('tr', {}, h('td', { class: 'empty-text', colspan: '3', text: t('import.noRecords') }))];
  $('#import-preview tbody').replaceChildren(...rows);
}

function renderReport() {
  const report = state.report;
  $('#import-report').hidden = !report;
  if (!report) return;
  $('#import-report-title').textContent = t(report.dryRun ? 'import.reportDryTitle' : 'import.reportTitle');
  $('#import-report-note').textContent = fmt.plural(report.dryRun ? 'import.reportDryNote' : 'import.reportNote', report.records);
  const skipped = report.skipped || [];
  const counts = [
    ['created', report.created],
    ['updated', report.updated],
    ['unchanged', report.unchanged],
    ['skipped', skipped.length],
  ];
  $('#report-counts').replaceChildren(...counts.map(([kind, n]) => h('li', { class: `report-count count-${kind}${n ? '' : ' is-zero'}` },
    h('span', { class: 'report-number', text: fmt.integer(n) }),
    h('span', { class: 'report-word', text: t(`import.count.${kind}`) }))));

  $('#report-skipped').hidden = skipped.length === 0;
  $('#report-skipped-title').textContent = t('import.skippedTitle');
  const items = skipped.slice(0, SKIPPED_SHOWN).map((s) => h('li', { class: 'skipped-item' },
    h('span', { class: 'skipped-place', text: placeText(s.place) }),
    h('span', { class: 'skipped-reason', text: s.reason })));
  if (skipped.length > SKIPPED_SHOWN) {
    items.push(h('li', { class: 'skipped-more muted', text: fmt.plural('import.skippedMore', skipped.length - SKIPPED_SHOWN) }));
  }
  $('#skipped-list').replaceChildren(...items);
}

function renderProgress() {
  const bar = $('#import-progress');
  const text = $('#import-progress-text');
  const p = state.progress;
  const what = t(state.dryRun ? 'import.runningDry' : 'import.running');
  if (p && p.total > 0) {
    bar.max = p.total;
    bar.value = Math.min(p.done, p.total);
    text.textContent = `${what} ${t('import.progress', { done: fmt.integer(p.done), total: fmt.integer(p.total) })}`;
  } else {
    bar.removeAttribute('value'); // indeterminate until the core reports
    text.textContent = what;
  }
}

function setBusy(text) {
  const el = $('#import-busy');
  el.textContent = text;
  el.hidden = !text;
}
