//! Import and export from the window: native file dialogs, a preview, progress, the report.

use std::path::PathBuf;

use klingel_core::domain::ImportReport;
use klingel_core::interchange::{csv, Format, ReadFile};
use klingel_core::session::Exported;
use klingel_core::{Error, Session};
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

fn read(
    session: &Session,
    path: &str,
    format: Option<Format>,
    overrides: &[Override],
) -> Result<ReadFile> {
    let overrides: Vec<(String, csv::Field)> = overrides
        .iter()
        .map(|o| (o.column.clone(), o.field.clone()))
        .collect();
    Ok(session.read_contacts_file(std::path::Path::new(path), format, &overrides)?)
}

fn internal(e: impl std::fmt::Display) -> CommandError {
    Error::Internal(e.to_string()).into()
}

/// Asks the user for a vCard or CSV file to import.
#[tauri::command]
pub async fn pick_import_file(app: AppHandle) -> Result<Option<String>> {
    let picked = tauri::async_runtime::spawn_blocking(move || {
        app.dialog()
            .file()
            .add_filter("vCard, CSV", &["vcf", "vcard", "csv", "txt"])
            .blocking_pick_file()
    })
    .await
    .map_err(internal)?;
    Ok(picked
        .and_then(|p| p.into_path().ok())
        .map(|p| p.display().to_string()))
}

/// Reads a file and shows its first records; nothing is written.
#[tauri::command]
#[tracing::instrument(skip(k, overrides), err(Debug))]
pub async fn preview_import(
    k: State<'_, Klingel>,
    path: String,
    format: Option<Format>,
    overrides: Vec<Override>,
) -> Result<ImportPreview> {
    let session = k.session.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let mut file = read(&session, &path, format, &overrides)?;
        let total = file.records.len();
        file.records.truncate(PREVIEW_RECORDS);
        Ok(ImportPreview { path, file, total })
    })
    .await
    .map_err(internal)?
}

/// Imports a file (or tries it, with `dry_run`), reporting progress as `import://progress`.
#[tauri::command]
#[tracing::instrument(skip(app, k, overrides), err(Debug))]
pub async fn run_import(
    app: AppHandle,
    k: State<'_, Klingel>,
    path: String,
    format: Option<Format>,
    overrides: Vec<Override>,
    dry_run: bool,
) -> Result<ImportReport> {
    let session = k.session.clone();
    // Off the UI thread and the async workers: the window stays responsive and shows progress.
    tauri::async_runtime::spawn_blocking(move || -> Result<ImportReport> {
        let records = read(&session, &path, format, &overrides)?.records;
        Ok(session.import_contacts(&records, dry_run, |done, total| {
            let _ = app.emit("import://progress", Progress { done, total });
        })?)
    })
    .await
    .map_err(internal)?
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
    .map_err(internal)?;
    Ok(picked.and_then(|p| p.into_path().ok()))
}

/// Asks where to save the contacts, then writes them as vCard or CSV.
#[tauri::command]
#[tracing::instrument(skip(app, k), err(Debug))]
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
    let session = k.session.clone();
    tauri::async_runtime::spawn_blocking(move || session.export_contacts(&path, format))
        .await
        .map_err(internal)?
        .map(Some)
        .map_err(Into::into)
}

/// Asks where to save the call log, then writes it as CSV.
#[tauri::command]
#[tracing::instrument(skip(app, k), err(Debug))]
pub async fn export_calls(app: AppHandle, k: State<'_, Klingel>) -> Result<Option<Exported>> {
    let Some(path) = save_dialog(&app, "klingel-calls.csv", "csv").await? else {
        return Ok(None);
    };
    let session = k.session.clone();
    let offset = crate::local_offset();
    tauri::async_runtime::spawn_blocking(move || session.export_calls(&path, offset))
        .await
        .map_err(internal)?
        .map(Some)
        .map_err(Into::into)
}
