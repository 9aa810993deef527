//! `klingeld serve`: the listener, expiry, and one log line per call update.

use std::process::ExitCode;

use anyhow::{bail, Context as _};
use klingel_core::server::{ListenerState, Server};
use klingel_core::sipgate::TestSigner;
use klingel_core::{Monitor, Update};
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
    ctx.settings.validate().map_err(anyhow::Error::msg)?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(serve(ctx))
}

async fn serve(ctx: Context) -> anyhow::Result<ExitCode> {
    let store = ctx.store()?;
    let test_key = ctx.paths.test_key();
    let signer = tokio::task::spawn_blocking(move || TestSigner::load_or_create(&test_key))
        .await?
        .context("preparing the local test key")?;
    let monitor = Monitor::new(store, &ctx.settings);
    let (server, status) = Server::start(
        monitor.clone(),
        &ctx.settings.listener,
        Some(signer.public_key()),
    )
    .await
    .context("reading [listener] public_key")?;
    if status.state != ListenerState::Listening {
        bail!(
            "cannot listen on {}: {} (change it with --listen or [listener] address)",
            status.address,
            status.error.unwrap_or_default()
        );
    }
    let bound = status.address;
    match &ctx.settings.listener.public_url {
        Some(url) => tracing::info!("sipgate should post to {url}"),
        None => tracing::info!(
            "sipgate needs a public HTTPS URL that forwards to http://{bound}/ (a tunnel or reverse proxy)"
        ),
    }
    if !ctx.settings.listener.verify_signature {
        tracing::warn!("signature check is off: anyone who finds the URL can post calls");
    }

    let mut updates = monitor.subscribe();
    let offset = ctx.offset;
    let printer = tokio::spawn(async move {
        loop {
            match updates.recv().await {
                Ok(Update::Call(update)) => {
                    let cause = match update.cause {
                        klingel_core::UpdateCause::Push(kind) => kind.as_str(),
                        klingel_core::UpdateCause::Expired => "expired",
                        klingel_core::UpdateCause::CalledBack => "called back",
                        klingel_core::UpdateCause::Seen => "seen",
                    };
                    println!("{} [{cause}]", show::call_line(&update.call, offset));
                }
                Ok(Update::ContactsChanged | Update::Request(_)) => {}
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!("log fell behind, skipped {missed} updates")
                }
                Err(RecvError::Closed) => return,
            }
        }
    });

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let expiry = {
        let mut stop = stop_rx.clone();
        tokio::spawn(monitor.clone().run_expiry(async move {
            let _ = stop.wait_for(|s| *s).await;
        }))
    };
    shutdown_signal().await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    server.shutdown().await;
    expiry.await?;
    printer.abort();
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
