// Contacts in and out: the Import… button opens the import dialog (importer.js); the
// Export… menu saves contacts as vCard or CSV, or the call log as CSV, through the core's
// native save dialog and confirms with a toast.
import { invoke } from './api.js';
import { $ } from './dom.js';
import * as fmt from './format.js';
import { toast, errorText } from './feedback.js';
import { menuButton } from './menu.js';
import { initImporter, startImport } from './importer.js';

export function initTransfer() {
  initImporter();
  $('#contacts-import').addEventListener('click', startImport);
  menuButton($('#contacts-export'), $('#export-menu'), (item) => exportAs(item.dataset.export));
}

let exporting = false;

async function exportAs(kind) {
  if (exporting) return; // one save dialog at a time
  exporting = true;
  try {
    const done = kind === 'calls'
      ? await invoke('export_calls')
      : await invoke('export_contacts', { format: kind });
    if (!done) return; // the save dialog was cancelled
    const key = kind === 'calls' ? 'transfer.exportedCalls' : 'transfer.exportedContacts';
    toast(fmt.plural(key, done.count, { path: done.path }), 'info', 6000);
  } catch (err) {
    toast(errorText(err), 'error');
  } finally {
    exporting = false;
  }
}
