//! `klingeld calls …` and `klingeld requests`.

use std::process::ExitCode;

use klingel_core::domain::{CallFilter, CallKey};

use crate::cli::{CallsArgs, CallsCommand, RequestsArgs};
use crate::show;
use crate::Context;

/// Lists calls or runs a `calls` subcommand.
pub fn run(ctx: &Context, args: CallsArgs) -> anyhow::Result<ExitCode> {
    let session = ctx.session()?;
    if let Some(CallsCommand::Export(export)) = &args.command {
        return crate::interchange::export_calls(ctx, export);
    }
    if let Some(CallsCommand::RemoveTests) = args.command {
        let count = session.remove_test_calls()?;
        out!("removed {count} test call(s)");
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(CallsCommand::Seen(seen)) = args.command {
        let keys: Vec<CallKey> = if seen.all {
            Vec::new()
        } else {
            seen.ids.iter().copied().map(CallKey).collect()
        };
        let count = session.mark_seen(&keys)?;
        out!("marked {count} missed call(s) seen");
        return Ok(ExitCode::SUCCESS);
    }
    let searching = args.search.as_deref().is_some_and(|s| !s.trim().is_empty());
    let filter = CallFilter {
        limit: Some(args.limit),
        missed: args.missed,
        direction: None,
        search: args.search,
        before: args.before.map(CallKey),
    };
    let page = session.calls_page(&filter)?;
    let calls = &page.calls;
    let words = session.words();
    if args.json {
        out!("{}", serde_json::to_string_pretty(calls)?);
    } else if calls.is_empty() && (searching || args.before.is_some()) {
        out!("no calls found");
    } else if calls.is_empty() {
        out!("no calls yet — point sipgate at `klingeld serve`, or try `klingeld simulate`");
    } else {
        for call in calls {
            out!("{}", show::call_line(call, words, ctx.offset));
        }
        if !args.missed {
            let unseen = session.unseen_missed()?;
            if unseen > 0 {
                out!("{unseen} missed call(s) not yet seen (klingeld calls seen --all)");
            }
        }
    }
    // A search reads the log a stretch at a time: where it stopped is said, never left silent
    // (on stderr, so the listing and its JSON stay as they are).
    if let (Some(stop), Some(searched)) = (page.searched_to, page.searched) {
        eprintln!(
            "searched the newest {searched} calls; older calls are not searched yet \
             (go on with --before {stop})"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `klingeld requests`
pub fn requests(ctx: &Context, args: &RequestsArgs) -> anyhow::Result<ExitCode> {
    let requests = ctx.session()?.recent_requests(args.limit)?;
    if args.json {
        out!("{}", serde_json::to_string_pretty(&requests)?);
        return Ok(ExitCode::SUCCESS);
    }
    if requests.is_empty() {
        out!("no requests received yet");
    }
    for request in &requests {
        let r = &request.record;
        out!(
            "{}  {} {}  {}  event={} auth={} signature={}{}",
            show::time(r.received_at, ctx.offset),
            r.method,
            r.path,
            r.status,
            r.event.as_deref().unwrap_or("-"),
            r.auth,
            r.signature,
            r.reason
                .as_deref()
                .map(|why| format!("  ({why})"))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
