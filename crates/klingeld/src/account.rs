//! `klingeld account`: the sipgate account connection; `klingeld dial`: click-to-call.

use std::io::BufRead as _;
use std::process::ExitCode;

use anyhow::Context as _;
use klingel_core::account::{AccountStatus, CapabilityState, WebhookState};

use crate::cli::{
    AccountArgs, AccountCommand, AccountConnectArgs, AccountStatusArgs, DialArgs, WebhooksCommand,
};
use crate::Context;

/// Runs an `account` subcommand.
pub fn run(ctx: &Context, args: AccountArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AccountCommand::Connect(args) => connect(ctx, &args),
        AccountCommand::Status(args) => {
            let status = ctx.session()?.account_status();
            print_status(&status, &args)
        }
        AccountCommand::Refresh(args) => {
            let status = ctx.session()?.refresh_account()?;
            print_status(&status, &args)
        }
        AccountCommand::Reconcile(args) => {
            let repairs = ctx.session()?.reconcile_calls()?;
            if args.json {
                out!("{}", serde_json::to_string_pretty(&repairs)?);
            } else {
                out!(
                    "{} calls in sipgate's history: {} repaired, {} added",
                    repairs.checked,
                    repairs.repaired,
                    repairs.added
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AccountCommand::Disconnect => {
            ctx.session()?.disconnect_account()?;
            out!("the sipgate token is forgotten (sipgate's webhook URLs were left as they are)");
            Ok(ExitCode::SUCCESS)
        }
        AccountCommand::Webhooks(args) => {
            let session = ctx.session()?;
            let state = match args.command {
                WebhooksCommand::Set(set) => session.set_webhooks(set.url.as_deref())?,
                WebhooksCommand::Clear => session.clear_webhooks()?,
            };
            print_webhooks(&state)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `dial NUMBER`
pub fn dial(ctx: &Context, args: &DialArgs) -> anyhow::Result<ExitCode> {
    let dialed = ctx
        .session()?
        .dial(&args.number, args.device.as_deref())
        .with_context(|| format!("cannot call {}", args.number))?;
    if args.json {
        out!("{}", serde_json::to_string_pretty(&dialed)?);
    } else {
        out!(
            "{} rings first; once you pick up, sipgate calls {}",
            dialed.device,
            dialed.callee
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn connect(ctx: &Context, args: &AccountConnectArgs) -> anyhow::Result<ExitCode> {
    let token = match &args.token {
        Some(token) => token.clone(),
        None => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the token from standard input")?;
            line
        }
    };
    let status = ctx
        .session()?
        .connect_account(&args.token_id, &token)
        .context("the sipgate account was not connected (nothing saved)")?;
    print_status(&status, &AccountStatusArgs { json: false })
}

fn print_status(status: &AccountStatus, args: &AccountStatusArgs) -> anyhow::Result<ExitCode> {
    if args.json {
        out!("{}", serde_json::to_string_pretty(status)?);
        return Ok(ExitCode::SUCCESS);
    }
    if !status.connected {
        out!("no sipgate account connected (klingeld account connect --token-id ID)");
        return Ok(ExitCode::SUCCESS);
    }
    let who = match (&status.user_name, &status.user_id) {
        (Some(name), Some(id)) => format!("{name} ({id})"),
        (None, Some(id)) => id.clone(),
        _ => "unknown user".to_string(),
    };
    let company = status
        .company
        .as_deref()
        .map(|c| format!(", {c}"))
        .unwrap_or_default();
    let kept = match status.token_kept {
        Some(klingel_core::account::Kept::Keyring) => " (kept in the desktop's keyring)",
        Some(klingel_core::account::Kept::File) => " (kept in an owner-only file)",
        None => "",
    };
    out!(
        "connected as {who}{company} with token {}{kept}",
        status.token_id.as_deref().unwrap_or("?")
    );
    out!(
        "  {} users, {} devices, {} groups, {} numbers; read {}",
        status.counts.users,
        status.counts.devices,
        status.counts.groups,
        status.counts.numbers,
        status.refreshed_at.as_deref().unwrap_or("never")
    );
    for capability in &status.capabilities {
        let state = match capability.state {
            CapabilityState::Ok => "ok".to_string(),
            CapabilityState::Missing => format!("missing scope {}", capability.scope),
            CapabilityState::Refused => format!(
                "refused: sipgate.io not booked, or missing scope {}",
                capability.scope
            ),
            CapabilityState::Failed => format!(
                "not read: {}",
                capability.detail.as_deref().unwrap_or("unknown")
            ),
            CapabilityState::Unchecked => format!("checked on first use ({})", capability.scope),
        };
        out!("  {:<13} {state}", capability.key);
    }
    if let Some(webhooks) = &status.webhooks {
        print_webhooks(webhooks)?;
    }
    if let Some(problem) = &status.problem {
        out!("problem: {problem}");
    }
    Ok(ExitCode::SUCCESS)
}

fn print_webhooks(state: &WebhookState) -> anyhow::Result<()> {
    let show = |url: &str| {
        if url.is_empty() {
            "(none)".to_string()
        } else {
            url.to_string()
        }
    };
    out!("  webhook incoming: {}", show(&state.incoming_url));
    out!("  webhook outgoing: {}", show(&state.outgoing_url));
    match state.points_here {
        Some(true) => out!("  the webhooks point at this Klingel"),
        Some(false) => {
            out!("  the webhooks do not point at this Klingel (klingeld account webhooks set)")
        }
        None => {}
    }
    Ok(())
}
