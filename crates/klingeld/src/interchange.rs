//! `klingeld contacts import|export` and `klingeld calls export`.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use klingel_core::interchange::{self, csv, Format};

use crate::cli::{CallsExportArgs, ExportArgs, ImportArgs};
use crate::Context;

/// `contacts import FILE`
pub fn import(ctx: &Context, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let format = match args.format.as_str() {
        // The content says it more reliably than the name (Outlook writes .txt, phones .vcf).
        "auto" => None,
        other => Some(other.parse::<Format>().map_err(anyhow::Error::msg)?),
    };
    let overrides = args
        .map
        .iter()
        .map(|spec| {
            let (column, field) = spec
                .split_once('=')
                .with_context(|| format!("--map {spec:?}: write COLUMN=FIELD"))?;
            let field = field
                .parse::<csv::Field>()
                .map_err(|e| anyhow::anyhow!("--map {spec:?}: {e}"))?;
            Ok((column.trim().to_string(), field))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let session = ctx.session()?;
    let started = Instant::now();
    // Read as it is imported: a file of a million cards is never held whole.
    let (file, report) = session
        .import_contacts_file(&args.file, format, &overrides, args.dry_run, |_| {})
        .with_context(|| format!("{} was not imported (nothing written)", args.file.display()))?;
    let elapsed = started.elapsed();
    if args.json {
        out!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "file": file_summary(&file), "report": report })
            )?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let what = match (&file.format, &file.layout) {
        (Format::Vcard, _) => format!("vCard, {}", file.encoding.name()),
        (Format::Csv, Some(layout)) => format!(
            "CSV ({:?}, delimiter {:?}), {}",
            layout.dialect,
            layout.delimiter,
            file.encoding.name()
        ),
        (Format::Csv, None) => format!("CSV, {}", file.encoding.name()),
    };
    out!(
        "{}: {what}, {} records",
        args.file.display(),
        report.records
    );
    if args.dry_run {
        out!("dry run — nothing was written");
    }
    out!(
        "created {}, updated {}, unchanged {}, skipped {} ({} ms)",
        report.created,
        report.updated,
        report.unchanged,
        report.skipped.len(),
        elapsed.as_millis()
    );
    for skipped in &report.skipped {
        out!("  skipped {}: {}", skipped.place, skipped.reason);
    }
    Ok(ExitCode::SUCCESS)
}

fn file_summary(file: &interchange::FileInfo) -> serde_json::Value {
    serde_json::json!({ "format": file.format, "encoding": file.encoding, "layout": file.layout })
}

/// `contacts export FILE`
pub fn export(ctx: &Context, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let format = match &args.format {
        Some(format) => format.parse::<Format>().map_err(anyhow::Error::msg)?,
        None => Format::from_path(&args.file).unwrap_or(Format::Vcard),
    };
    let exported = ctx.session()?.export_contacts(&args.file, format)?;
    out!("exported {} contacts to {}", exported.count, exported.path);
    Ok(ExitCode::SUCCESS)
}

/// `calls export FILE`
pub fn export_calls(ctx: &Context, args: &CallsExportArgs) -> anyhow::Result<ExitCode> {
    let exported = ctx.session()?.export_calls(&args.file, ctx.offset)?;
    out!("exported {} calls to {}", exported.count, exported.path);
    Ok(ExitCode::SUCCESS)
}
