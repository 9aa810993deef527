//! `klingeld block`, `klingeld unblock` and `klingeld blocked`.

use std::process::ExitCode;

use klingel_core::domain::Blocking;

use crate::cli::{BlockedArgs, NumberArgs};
use crate::Context;

/// Blocks a number: through its contact, or on the blocklist.
pub fn block(ctx: &Context, args: &NumberArgs) -> anyhow::Result<ExitCode> {
    match ctx.session()?.block_number(&args.number)? {
        Blocking::Contact(contact) => out!("blocked contact #{} {}", contact.id.0, contact.name),
        Blocking::Number(e164) => out!("blocked {e164} (on the blocklist)"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Lets a number through again; says so when it was not blocked.
pub fn unblock(ctx: &Context, args: &NumberArgs) -> anyhow::Result<ExitCode> {
    if ctx.session()?.unblock_number(&args.number)? {
        out!("unblocked {}", args.number.trim());
    } else {
        out!("{} was not blocked", args.number.trim());
    }
    Ok(ExitCode::SUCCESS)
}

/// Lists blocked numbers, newest first.
pub fn list(ctx: &Context, args: &BlockedArgs) -> anyhow::Result<ExitCode> {
    let blocked = ctx.session()?.blocked_numbers()?;
    if args.json {
        out!("{}", serde_json::to_string_pretty(&blocked)?);
        return Ok(ExitCode::SUCCESS);
    }
    if blocked.is_empty() {
        out!("no number is blocked");
    }
    for number in &blocked {
        match &number.contact_name {
            Some(name) => out!("{}  (contact {name})", number.display),
            None => out!("{}", number.display),
        }
    }
    Ok(ExitCode::SUCCESS)
}
