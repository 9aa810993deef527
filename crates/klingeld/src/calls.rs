//! `klingeld calls …` and `klingeld requests`.

use std::process::ExitCode;

use klingel_core::monitor::Monitor;
use klingel_core::store::{CallFilter, CallKey};

use crate::cli::{CallsArgs, CallsCommand, RequestsArgs};
use crate::show;
use crate::Context;

/// Lists calls or runs a `calls` subcommand.
pub fn run(ctx: &Context, args: CallsArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.store()?;
    if let Some(CallsCommand::Export(export)) = &args.command {
        return crate::interchange::export_calls(ctx, export);
    }
    if let Some(CallsCommand::Seen(seen)) = args.command {
        let keys: Vec<CallKey> = if seen.all {
            Vec::new()
        } else {
            seen.ids.iter().copied().map(CallKey).collect()
        };
        let monitor = Monitor::new(store, &ctx.settings);
        let count = monitor.mark_seen(&keys, klingel_core::time_fmt::now())?;
        println!("marked {count} missed call(s) seen");
        return Ok(ExitCode::SUCCESS);
    }
    let filter = CallFilter {
        limit: Some(args.limit),
        missed: args.missed,
        direction: None,
        search: None,
    };
    let calls = store.calls(&filter, &ctx.settings.numbers)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&calls)?);
    } else if calls.is_empty() {
        println!("no calls yet — point sipgate at `klingeld serve`, or try `klingeld simulate`");
    } else {
        for call in &calls {
            println!("{}", show::call_line(call, ctx.offset));
        }
        if !args.missed {
            let unseen = store.unseen_missed()?;
            if unseen > 0 {
                println!("{unseen} missed call(s) not yet seen (klingeld calls seen --all)");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `klingeld requests`
pub fn requests(ctx: &Context, args: &RequestsArgs) -> anyhow::Result<ExitCode> {
    let requests = ctx.store()?.recent_requests(args.limit)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&requests)?);
        return Ok(ExitCode::SUCCESS);
    }
    if requests.is_empty() {
        println!("no requests received yet");
    }
    for request in &requests {
        let r = &request.record;
        println!(
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
