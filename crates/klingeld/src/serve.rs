//! `klingeld serve`: the listener, expiry, and one log line per call update.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use klingel_core::server::ListenerState;
use klingel_core::{Update, UpdateCause};
use tokio::sync::broadcast::error::RecvError;

use crate::cli::ServeArgs;
use crate::show;
use crate::Context;

/// Runs until Ctrl-C or SIGTERM.
pub fn run(mut ctx: Context, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let listener = &mut ctx.settings.listener;
    if let Some(address) = args.listen {
        listener.address = address;
    }
    if let Some(url) = args.public_url {
        listener.public_url = Some(url);
    }
    if args.no_verify_signature {
        listener.verify_signature = false;
    }
    if args.hub {
        ctx.settings.hub.enabled = true;
    }
    if args.behind_proxy {
        ctx.settings.hub.enabled = true;
        ctx.settings.hub.behind_proxy = true;
    }
    ctx.settings.validate()?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(serve(ctx))
}

async fn serve(ctx: Context) -> anyhow::Result<ExitCode> {
    let session = tokio::task::block_in_place(|| ctx.session())?;
    // Before the listener starts: a SIGTERM right after "listening on" shuts down cleanly.
    let stop = shutdown_signal();
    // Subscribed before the listener starts, so the first call cannot slip by.
    let mut updates = session.subscribe();
    let status = session.start().await?;
    if status.state != ListenerState::Listening {
        session.shutdown().await;
        bail!(
            "cannot listen on {}: {} (change it with --listen or [listener] address)",
            status.address,
            status.error.unwrap_or_default()
        );
    }
    let bound = status.address;
    let listener = &ctx.settings.listener;
    match (&listener.public_url, &listener.acme, listener.tls_files()) {
        (Some(url), _, _) => tracing::info!("sipgate should post to {url}"),
        (None, Some(acme), _) => tracing::info!(
            "sipgate should post to https://{}/ (port 443 must reach {bound})",
            acme.domain
        ),
        (None, None, Some(_)) => tracing::info!(
            "sipgate should post to https://<the name in the certificate>:{}/",
            bound.rsplit(':').next().unwrap_or_default()
        ),
        (None, None, None) => tracing::info!(
            "sipgate needs a public HTTPS URL that forwards to http://{bound}/ (a tunnel or reverse proxy)"
        ),
    }
    if ctx.settings.hub.enabled {
        tracing::info!(
            "office hub on: desks connect to the same address; add them with `klingeld desks add`"
        );
    }
    for warning in &status.warnings {
        tracing::warn!("{}", warning.as_text());
    }

    let (offset, words) = (ctx.offset, session.words());
    // Its own thread, not a runtime task: a terminal or pipe that stops reading blocks only
    // this thread, never a worker the listener needs. Detached: exiting does not wait for it.
    let printer = std::thread::Builder::new().name("klingeld-printer".into());
    printer
        .spawn(move || loop {
            match updates.blocking_recv() {
                Ok(Update::Call(update)) => {
                    let cause = match update.cause {
                        UpdateCause::Push(kind) => kind.as_str(),
                        UpdateCause::Expired => "expired",
                        UpdateCause::CalledBack => "called back",
                        UpdateCause::Seen => "seen",
                        UpdateCause::Handled => "handled",
                        UpdateCause::Repaired => "from sipgate's history",
                    };
                    let line = show::call_line(&update.call, words, offset);
                    // A closed stdout must not stop the listener: the calls are stored anyway.
                    let _ = writeln!(std::io::stdout(), "{line} [{cause}]");
                }
                Ok(
                    Update::ContactsChanged
                    | Update::Request(_)
                    | Update::SettingsChanged(_)
                    | Update::Listener(_)
                    | Update::CallsRemoved(_)
                    | Update::Desk(_),
                ) => {}
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!("log fell behind, skipped {missed} updates")
                }
                Err(RecvError::Closed) => return,
            }
        })
        .context("starting the update printer")?;
    stop.await;
    tracing::info!("shutting down");
    session.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// Ends at Ctrl-C or SIGTERM. The handlers are in place once this returns, not only once it
/// is first awaited: a signal that comes in between would otherwise kill the process outright.
/// Needs a tokio runtime.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let handlers = signal(SignalKind::interrupt()).and_then(|interrupt| {
            signal(SignalKind::terminate()).map(|terminate| (interrupt, terminate))
        });
        async move {
            match handlers {
                Ok((mut interrupt, mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
