//! Import and export from the window: native file dialogs, a preview, progress, the report.

use std::path::PathBuf;

use klingel_core::interchange::{self, csv, vcard, ContactRecord, Format, ReadFile};
use klingel_core::store::{CallFilter, ImportReport};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_dialog::DialogExt;

use crate::commands::CommandError;
use crate::state::Klingel;

type Result<T> = std::result::Result<T, CommandError>;

/// How many records the preview shows.
const PREVIEW_RECORDS: usize = 20;

/// A user's choice for one CSV column.
#[derive(Debug, Clone, Deserialize)]
pub struct Override {
    column: String,
    field: csv::Field,
}

/// What the preview shows before anything is written.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportPreview {
    path: String,
    #[serde(flatten)]
    file: ReadFile,
    total: usize,
}

/// Progress of a running import, as the event `import://progress`.
#[derive(Debug, Clone, Serialize)]
struct Progress {
    done: usize,
    total: usize,
}

/// A finished export.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exported {
    path: String,
    count: usize,
}

fn read(path: &str, format: Option<Format>, overrides: &[Override]) -> Result<ReadFile> {
    let bytes = std::fs::read(path)
        .map_err(|e| CommandError::new("unreadable_file", format!("{path}: {e}")))?;
    let overrides: Vec<(String, csv::Field)> = overrides
        .iter()
        .map(|o| (o.column.clone(), o.field.clone()))
        .collect();
    interchange::read_file(&bytes, format, &overrides)
        .map_err(|e| CommandError::new("unreadable_file", e))
}

#[tauri::command]
pub async fn pick_import_file(app: AppHandle) -> Result<Option<String>> {
    let picked = tauri::async_runtime::spawn_blocking(move || {
        app.dialog()
            .file()
            .add_filter("vCard, CSV", &["vcf", "vcard", "csv", "txt"])
            .blocking_pick_file()
    })
    .await
    .map_err(|e| CommandError::new("internal", e))?;
    Ok(picked
        .and_then(|p| p.into_path().ok())
        .map(|p| p.display().to_string()))
}

#[tauri::command(async)]
pub fn preview_import(
    path: String,
    format: Option<Format>,
    overrides: Vec<Override>,
) -> Result<ImportPreview> {
    let mut file = read(&path, format, &overrides)?;
    let total = file.records.len();
    file.records.truncate(PREVIEW_RECORDS);
    Ok(ImportPreview { path, file, total })
}

#[tauri::command]
pub async fn run_import(
    app: AppHandle,
    k: State<'_, Klingel>,
    path: String,
    format: Option<Format>,
    overrides: Vec<Override>,
    dry_run: bool,
) -> Result<ImportReport> {
    let store = k.monitor().store().clone();
    let region = k.monitor().region();
    let progress = app.clone();
    // Off the UI thread: the window stays responsive and shows progress.
    let report = tauri::async_runtime::spawn_blocking(move || -> Result<ImportReport> {
        let records: Vec<ContactRecord> = read(&path, format, &overrides)?.records;
        Ok(store.import(&records, region, dry_run, |done, total| {
            let _ = progress.emit("import://progress", Progress { done, total });
        })?)
    })
    .await
    .map_err(|e| CommandError::new("internal", e))??;
    if !dry_run {
        k.monitor().contacts_changed();
    }
    Ok(report)
}

async fn save_dialog(
    app: &AppHandle,
    name: &str,
    extension: &'static str,
) -> Result<Option<PathBuf>> {
    let app = app.clone();
    let name = name.to_string();
    let picked = tauri::async_runtime::spawn_blocking(move || {
        app.dialog()
            .file()
            .set_file_name(name)
            .add_filter(extension, &[extension])
            .blocking_save_file()
    })
    .await
    .map_err(|e| CommandError::new("internal", e))?;
    Ok(picked.and_then(|p| p.into_path().ok()))
}

fn write(path: &std::path::Path, text: &str, count: usize) -> Result<Exported> {
    interchange::write_file(path, text)
        .map_err(|e| CommandError::new("unwritable_file", format!("{}: {e}", path.display())))?;
    Ok(Exported {
        path: path.display().to_string(),
        count,
    })
}

#[tauri::command]
pub async fn export_contacts(
    app: AppHandle,
    k: State<'_, Klingel>,
    format: Format,
) -> Result<Option<Exported>> {
    let (name, extension) = match format {
        Format::Vcard => ("klingel-contacts.vcf", "vcf"),
        Format::Csv => ("klingel-contacts.csv", "csv"),
    };
    let Some(path) = save_dialog(&app, name, extension).await? else {
        return Ok(None);
    };
    let contacts = k.monitor().store().contacts(None, k.monitor().region())?;
    let text = match format {
        Format::Vcard => vcard::write(&contacts),
        Format::Csv => csv::write_contacts(&contacts),
    };
    write(&path, &text, contacts.len()).map(Some)
}

#[tauri::command]
pub async fn export_calls(app: AppHandle, k: State<'_, Klingel>) -> Result<Option<Exported>> {
    let Some(path) = save_dialog(&app, "klingel-calls.csv", "csv").await? else {
        return Ok(None);
    };
    let filter = CallFilter {
        limit: Some(usize::MAX >> 1),
        ..CallFilter::default()
    };
    let calls = k.monitor().store().calls(&filter, &k.monitor().numbers())?;
    let text = csv::write_calls(&calls, crate::local_offset());
    write(&path, &text, calls.len()).map(Some)
}
