//! `klingeld desks`: the office hub's desks, managed on the hub's own machine only.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::cli::{DeskAddArgs, DeskListArgs, DeskRevokeArgs, DesksArgs, DesksCommand};
use crate::{show, Context};

/// Runs a `desks` subcommand.
pub fn run(ctx: &Context, args: DesksArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        DesksCommand::Add(args) => add(ctx, &args),
        DesksCommand::List(args) => list(ctx, &args),
        DesksCommand::Revoke(args) => revoke(ctx, &args),
    }
}

fn add(ctx: &Context, args: &DeskAddArgs) -> anyhow::Result<ExitCode> {
    let session = ctx.session()?;
    let account = session.account_status();
    let users = args
        .sipgate_users
        .iter()
        .map(|u| u.trim())
        .filter(|u| !u.is_empty())
        .map(|u| user_id(u, &account))
        .collect::<anyhow::Result<Vec<String>>>()?;
    let (desk, token) = session
        .add_desk(&args.name, &users, args.all_calls)
        .with_context(|| format!("cannot add the desk {:?}", args.name))?;
    let pops = match (desk.all_calls, desk.sipgate_user_ids.is_empty()) {
        (true, _) => "every incoming call pops up there".to_string(),
        (false, false) => format!(
            "calls for {} pop up there",
            desk.sipgate_user_ids.join(", ")
        ),
        (false, true) => "it sees the shared log; no popups (no --sipgate-user)".to_string(),
    };
    out!("added desk #{} {:?}: {pops}", desk.id, desk.name);
    out!("its token (shown only now; the hub keeps a hash):");
    // The last line, alone, so scripts can take it with `tail -n 1`.
    out!("{token}");
    Ok(ExitCode::SUCCESS)
}

/// A `--sipgate-user` as the user id desks are matched by: an id (`w1`) as given, a name
/// ("Max Muster") through the connected sipgate account.
fn user_id(given: &str, account: &klingel_core::account::AccountStatus) -> anyhow::Result<String> {
    let is_id =
        given.len() > 1 && given.starts_with('w') && given[1..].chars().all(|c| c.is_ascii_digit());
    if is_id || !account.connected {
        return Ok(given.to_string());
    }
    let wanted = given.to_lowercase();
    if let Some(person) = account
        .users
        .iter()
        .find(|p| p.name.to_lowercase() == wanted || p.id == given)
    {
        return Ok(person.id.clone());
    }
    let known: Vec<String> = account
        .users
        .iter()
        .map(|p| format!("{} ({})", p.name, p.id))
        .collect();
    anyhow::bail!(
        "the sipgate account has no user {given:?}; its users: {}",
        known.join(", ")
    )
}

fn list(ctx: &Context, args: &DeskListArgs) -> anyhow::Result<ExitCode> {
    let session = ctx.session()?;
    let desks = session.desks()?;
    let head = session.head_seq()?;
    if args.json {
        let rows: Vec<serde_json::Value> = desks
            .iter()
            .map(|desk| {
                let mut row = serde_json::to_value(desk).unwrap_or_default();
                row["behind"] = desk
                    .last_seq
                    .map_or(serde_json::Value::Null, |seq| (head - seq).max(0).into());
                row
            })
            .collect();
        out!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if desks.is_empty() {
        out!("no desks yet: add one with `klingeld desks add NAME --sipgate-user w0`");
    }
    for desk in &desks {
        let users = if desk.all_calls {
            "all calls".to_string()
        } else if desk.sipgate_user_ids.is_empty() {
            "no popups".to_string()
        } else {
            desk.sipgate_user_ids.join(", ")
        };
        let seen = desk.last_seen_at.map_or_else(
            || "never seen".to_string(),
            |at| format!("last seen {}", show::time(at, ctx.offset)),
        );
        let behind = desk
            .last_seq
            .map(|seq| format!(", behind by {}", (head - seq).max(0)))
            .unwrap_or_default();
        let revoked = desk
            .revoked_at
            .map(|at| format!("  [revoked {}]", show::time(at, ctx.offset)))
            .unwrap_or_default();
        out!(
            "#{:<3} {:<20} {users}; {seen}{behind}{revoked}",
            desk.id,
            desk.name
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn revoke(ctx: &Context, args: &DeskRevokeArgs) -> anyhow::Result<ExitCode> {
    let desk = ctx
        .session()?
        .revoke_desk(&args.name)
        .with_context(|| format!("cannot revoke the desk {:?}", args.name))?;
    out!(
        "revoked desk #{} {:?}: its token no longer works",
        desk.id,
        desk.name
    );
    Ok(ExitCode::SUCCESS)
}
