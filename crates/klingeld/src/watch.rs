//! `klingeld watch`: a headless desk. Follows a hub and prints one line per call update (the
//! line `klingeld serve` prints), or one JSON object per line with `--json`.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use klingel_core::hub::client::{follow, CursorFile, DeskEvent, FollowOptions, HubClient};
use klingel_core::words::Words;

use crate::cli::WatchArgs;
use crate::{show, Context};

/// Runs until the hub refuses the desk (exit 1) or Ctrl-C / SIGTERM (exit 0).
pub fn run(ctx: &Context, args: &WatchArgs) -> anyhow::Result<ExitCode> {
    let client = HubClient::new(&args.hub, args.token.trim(), args.ca_file.as_deref())?;
    let cursor = CursorFile::new(ctx.paths.data_dir.join("desk-cursor.json"));
    let options = FollowOptions {
        idle: Duration::from_secs(args.idle_timeout.max(1)),
    };
    let words = Words::of(ctx.settings.ui.language.resolve());
    let (offset, json) = (ctx.offset, args.json);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let following = follow(&client, &cursor, &options, |event| {
            // A reader that went away must not stop the desk; the cursor is saved anyway.
            let _ = print(&event, words, offset, json);
        });
        tokio::select! {
            error = following => {
                eprintln!("klingeld watch: {error}");
                Ok(ExitCode::FAILURE)
            }
            () = crate::serve::shutdown_signal() => Ok(ExitCode::SUCCESS),
        }
    })
}

fn print(
    event: &DeskEvent,
    words: &Words,
    offset: time::UtcOffset,
    json: bool,
) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match event {
        DeskEvent::Call {
            seq,
            replayed,
            popup,
            call,
        } => {
            if json {
                let mut value = serde_json::to_value(call.as_ref())?;
                value["seq"] = (*seq).into();
                value["replayed"] = (*replayed).into();
                value["popup"] = (*popup).into();
                writeln!(stdout, "{value}")?;
            } else {
                let mut line = show::call_line(&call.call, words, offset);
                if let Some(handled) = &call.call.handled {
                    line.push_str(&format!(
                        "  handled by {}, {}",
                        handled.by_name,
                        show::time(handled.at, offset)
                    ));
                }
                let mark = match (replayed, popup) {
                    (_, true) => " [popup]",
                    (true, false) => " [replayed]",
                    (false, false) => "",
                };
                writeln!(stdout, "{line}{mark}")?;
            }
            stdout.flush()?;
        }
        DeskEvent::Connected(hello) => {
            eprintln!(
                "connected to {} as desk {:?} (at event {})",
                hello.hub, hello.desk.name, hello.head_seq
            );
        }
        DeskEvent::Synced { head_seq, missed } => {
            if *missed > 0 {
                eprintln!("{missed} missed calls while you were away");
            }
            eprintln!("live from event {head_seq}");
        }
        DeskEvent::Resynced(calls) => {
            eprintln!("the hub's history no longer reaches back to this desk's last event; took a fresh snapshot ({calls} calls)");
        }
        DeskEvent::Offline { since, reason } => {
            eprintln!(
                "hub unreachable since {}: {reason}",
                show::time(*since, offset)
            );
        }
        DeskEvent::NewerProtocol(proto) => {
            eprintln!("the hub speaks protocol {proto}: update Klingel on this desk");
        }
        DeskEvent::CallGone(_) | DeskEvent::Contact { .. } => {}
    }
    Ok(())
}
