//! `klingeld simulate`: a realistic call through a running listener (see `klingel_core::selftest`).

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context as _};
use klingel_core::selftest::{self, TestCall};
use klingel_core::sipgate::{SignatureVerifier, TestSigner};
use klingel_core::PhoneNumber;

use crate::cli::SimulateArgs;
use crate::Context;

/// Runs the simulated call and prints each step.
pub fn run(ctx: &Context, args: &SimulateArgs) -> anyhow::Result<ExitCode> {
    let region = ctx.settings.numbers.region;
    let from = PhoneNumber::parse(&args.from, region)
        .with_context(|| format!("--from {:?}", args.from))?;
    let to = PhoneNumber::parse(&args.to, region).with_context(|| format!("--to {:?}", args.to))?;
    let url = match &args.url {
        Some(url) => url.clone(),
        None => match &ctx.settings.listener.public_url {
            Some(url) => url.clone(),
            None => {
                klingel_core::http::local_url(ctx.settings.listener.address, &ctx.settings.listener)
            }
        },
    };
    let signer =
        TestSigner::load_or_create(&ctx.paths.test_key()).context("loading the local test key")?;
    let credentials = ctx
        .settings
        .listener
        .credentials()
        .map(|(u, p)| (u.to_string(), p.to_string()));
    let call = TestCall {
        url: url.clone(),
        from,
        to,
        user: args.user.clone(),
        ring: Duration::from_secs_f64(args.ring_secs.max(0.0)),
        talk: Duration::from_secs_f64(args.talk_secs.max(0.0)),
        missed: args.missed,
        ca_file: args.ca_file.clone(),
    };
    out!(
        "calling {url} from {} to {}",
        call.from.display(region),
        call.to.display(region)
    );
    let report = selftest::run(&call, &signer, credentials, |step| {
        // Progress only: a closed pipe must not stop the call half way.
        let _ = writeln!(
            std::io::stdout(),
            "{}: {} in {} ms",
            step.step,
            step.status,
            step.ms
        );
    });
    if let Some(message) = report.message {
        bail!(message);
    }
    match (report.rejected, args.missed) {
        (Some(reason), _) => out!(
            "caller rejected ({}) — a blocked contact; no answer or hangup follows",
            reason.as_str()
        ),
        (None, true) => out!(
            "done: a call from {} nobody answered",
            call.from.display(region)
        ),
        (None, false) => out!(
            "done: call from {} answered by {} and hung up",
            call.from.display(region),
            call.user
        ),
    }
    if !trusted_for_calls(ctx, &signer) {
        out!("(signed with the local test key: Klingel shows it as a test call)");
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether `[listener] public_key` is the local test key, so its pushes count as calls.
fn trusted_for_calls(ctx: &Context, signer: &TestSigner) -> bool {
    let Some(pem) = ctx.settings.listener.public_key.as_deref() else {
        return false;
    };
    let probe = b"klingel";
    SignatureVerifier::from_pem("configured key", pem)
        .is_ok_and(|verifier| verifier.verify(probe, Some(&signer.sign(probe))).is_ok())
}
