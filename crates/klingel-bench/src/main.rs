//! `klingel-bench`: Klingel's listener under load, with its baselines measured in the same run.
//!
//! `cargo run --release -p klingel-bench` builds a book of generated contacts, starts a real
//! listener on it (SQLite with `synchronous=FULL`, Basic auth, the signature check on with the
//! bench's own key as `public_key`), and fires real pushes over keep-alive connections from a
//! one-thread client. In the same run it measures the baselines the figures are ratios of: one
//! core verifying sipgate's RSA-4096 signature in a loop, and a bare axum route with a fixed
//! reply under the same load. The listener runs on two worker threads, as on a 2-core machine.

mod book;
mod load;
mod pushes;
mod threads;

use std::time::{Duration, Instant};

use clap::Parser;
use klingel_core::{Paths, Session, Settings};
use load::{Round, Target};
use tokio::runtime::Runtime;

/// Command-line options.
#[derive(Parser, Debug)]
#[command(about = "Klingel's listener under load, with baselines from the same run")]
struct Options {
    /// Contacts in the generated book.
    #[arg(long, default_value_t = 1_000_000)]
    contacts: usize,
    /// Contacts in the small book the lookup rounds compare against.
    #[arg(long, default_value_t = 1_000)]
    small_contacts: usize,
    /// How long each load round runs at most.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Connections for the signed rounds and the bare axum baseline (as `wrk -c4`).
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Connections for the group-commit round (many desks and lines pushing at once).
    #[arg(long, default_value_t = 64)]
    wide_connections: usize,
    /// Another webhook listener to compare with under the same load, e.g. sipgate's Node
    /// example app: `http://127.0.0.1:PORT/PATH`. Klingel and it take turns answering
    /// sipgate's own signed `newCall` fixture, repeated, over `--connections`; Klingel checks
    /// it with sipgate's public key. A reply with an `<Error` element counts as failed.
    #[arg(long, value_name = "URL")]
    peer: Option<String>,
    /// A header for every request to the peer, as `Name: value` (repeatable), e.g. the
    /// `X-Forwarded-For` that the Node library's origin check reads.
    #[arg(long = "peer-header", value_name = "HEADER")]
    peer_headers: Vec<String>,
    /// Only the unsigned rounds (for profiling the listener without the signing work).
    #[arg(long, hide = true)]
    unsigned_only: bool,
}

fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let budget = Duration::from_secs_f64(options.seconds);
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    println!("# klingel-bench\n");
    println!("machine: {}", book::machine());
    println!(
        "listener: 2 worker threads; client: 1 thread; {} connections ({} in the group-commit round)\n",
        options.connections, options.wide_connections
    );

    // Baselines first, on an idle machine.
    let verify = baselines::verify_rate(Duration::from_secs(2));
    println!(
        "RSA-4096 verify, one core: ring {:.0}/s ({:.0} µs), rsa crate {:.0}/s ({:.0} µs)",
        verify.ring,
        1e6 / verify.ring,
        verify.rsa,
        1e6 / verify.rsa
    );
    let axum = baselines::bare_axum(&server, &client, options.connections, budget)?;
    print_round("bare axum, fixed reply", &axum);

    // The big book.
    let dir = tempfile::tempdir()?;
    let big = open_session(&dir.path().join("big"), Check::BenchKey)?;
    let floor = book::insert_floor(options.contacts)?;
    let imported = book::fill(&big, options.contacts)?;
    println!(
        "\nbook: {} contacts imported from one vCard file in {:.1} s ({:.2} × the {:.1} s of plain \
         INSERTs of the same rows), peak resident {} (before: {})",
        options.contacts,
        imported.elapsed.as_secs_f64(),
        imported.elapsed.as_secs_f64() / floor.as_secs_f64(),
        floor.as_secs_f64(),
        megabytes(imported.rss_peak),
        megabytes(imported.rss_before)
    );
    let target = start(&server, &big)?;

    // Signed real calls: every body unique and signed, like sipgate's.
    // Enough calls for the round at the target rate, plus a margin.
    let wanted = if options.unsigned_only {
        0
    } else {
        (verify.ring * 0.7 * budget.as_secs_f64()) as usize / 3 + options.connections
    };
    let started = Instant::now();
    let signed = pushes::sign_all(calls(wanted, "S", options.contacts))?;
    println!(
        "signed {} pushes for the signed round in {:.1} s",
        signed.len(),
        started.elapsed().as_secs_f64()
    );
    let signed_round = load::run_measured(
        &client,
        &target,
        load::lanes(signed, options.connections, 3),
        budget,
    )?;
    print_round("Klingel, signed real calls", &signed_round);

    // The same load on Klingel and a peer, taking turns.
    let compared = match &options.peer {
        Some(url) => {
            let peer = peer_target(url, &options.peer_headers)?;
            let klingel = reconfigure(&server, &big, Check::SipgateKey)?;
            let per_lane =
                (verify.ring * 1.5 * budget.as_secs_f64()) as usize / options.connections.max(1);
            let fixture = || baselines::sipgate_fixture(options.connections, per_lane);
            let (ours, theirs) = peer_turns(&client, &klingel, &peer, url, fixture, budget)?;
            Some((url.clone(), ours, theirs))
        }
        None => None,
    };

    // The same calls without the signature check: storage and the state machine alone.
    let target = reconfigure(&server, &big, Check::Off)?;
    let narrow = load::run_measured(
        &client,
        &target,
        load::lanes(
            pushes::unsigned(calls(60_000, "N", options.contacts)),
            options.connections,
            3,
        ),
        budget,
    )?;
    print_round("Klingel, signature off, real calls", &narrow);
    let wide = load::run_measured(
        &client,
        &target,
        load::lanes(
            pushes::unsigned(calls(120_000, "W", options.contacts)),
            options.wide_connections,
            3,
        ),
        budget,
    )?;
    print_round(
        &format!(
            "Klingel, signature off, real calls, {} connections",
            options.wide_connections
        ),
        &wide,
    );
    let durable = book::calls_stored(&big)?;
    println!(
        "  calls stored after the unsigned rounds: {durable} (answered: {} newCall pushes)",
        (narrow.ok + wide.ok).div_ceil(3)
    );

    // Lookup: the same newCall pushes against 1k and the big book, alternating.
    let small = open_session(&dir.path().join("small"), Check::Off)?;
    book::fill(&small, options.small_contacts)?;
    let small_target = start(&server, &small)?;
    let lookups = lookup_rounds(&client, &target, &small_target, options.contacts)?;
    let lookup_direct = book::lookup_times(&big, &small, options.contacts, options.small_contacts)?;

    println!("\n## Summary\n");
    println!("| figure | value | ratio |");
    println!("|---|---|---|");
    println!(
        "| RSA-4096 verify, one core (ring) | {:.0}/s | baseline |",
        verify.ring
    );
    println!(
        "| signed real calls, {} connections | {} | {:.2} × verify rate (target ≥ 0.45) |",
        options.connections,
        signed_round.summary(),
        signed_round.rate() / verify.ring
    );
    println!(
        "| signature off, {} connections | {} | |",
        options.connections,
        narrow.summary()
    );
    println!(
        "| signature off, {} connections | {} | target ≥ 15,000/s |",
        options.wide_connections,
        wide.summary()
    );
    println!(
        "| bare axum, fixed reply, {} connections | {:.0}/s, p50 {} | signed calls at {:.3} × |",
        options.connections,
        axum.rate(),
        ms(axum.percentile(0.5)),
        signed_round.rate() / axum.rate()
    );
    if let Some((url, ours, theirs)) = &compared {
        for (turn, (klingel, peer)) in ours.iter().zip(theirs).enumerate() {
            println!(
                "| sipgate's signed `newCall` repeated, {} connections, turn {}: Klingel | {} | {:.2} × the peer |",
                options.connections,
                turn + 1,
                klingel.summary(),
                klingel.rate() / peer.rate()
            );
            println!(
                "| … the peer ({url}) | {} | baseline (target: Klingel ≥ 3 ×) |",
                peer.summary()
            );
        }
    }
    for (kind, big_p50, small_p50) in lookups {
        println!(
            "| push latency p50, {kind}, {} vs {} contacts | {} vs {} | {:.2} × (target ≤ 1.3) |",
            options.contacts,
            options.small_contacts,
            ms(big_p50),
            ms(small_p50),
            big_p50.as_secs_f64() / small_p50.as_secs_f64()
        );
    }
    println!(
        "| import {} vCards, one file | {:.1} s, peak resident {} | {:.2} × plain INSERTs of the same rows |",
        options.contacts,
        imported.elapsed.as_secs_f64(),
        megabytes(imported.rss_peak),
        imported.elapsed.as_secs_f64() / floor.as_secs_f64()
    );
    for (kind, big_time, small_time) in lookup_direct {
        println!(
            "| one lookup, {kind}, {} vs {} contacts | {:.1} µs vs {:.1} µs | {:.2} × |",
            options.contacts,
            options.small_contacts,
            big_time.as_secs_f64() * 1e6,
            small_time.as_secs_f64() * 1e6,
            big_time.as_secs_f64() / small_time.as_secs_f64()
        );
    }
    server.block_on(big.shutdown());
    server.block_on(small.shutdown());
    Ok(())
}

/// Bytes as megabytes for the report, or "unknown".
fn megabytes(bytes: Option<u64>) -> String {
    bytes.map_or_else(
        || "unknown".to_owned(),
        |b| format!("{:.0} MB", b as f64 / 1e6),
    )
}

/// `count` whole calls (three pushes each); three in four from callers in the book.
fn calls(count: usize, run: &str, book: usize) -> Vec<bytes::Bytes> {
    (0..count)
        .flat_map(|n| pushes::call(n, run, &pushes::caller(n, n % 4 != 3, book)))
        .collect()
}

const USER: &str = "sipgate";
const PASSWORD: &str = "bench-password";

/// How the listener checks signatures in a round.
#[derive(Clone, Copy)]
enum Check {
    /// With the bench's own key, which signed the generated pushes.
    BenchKey,
    /// With sipgate's public key, as in production (for sipgate's signed fixture).
    SipgateKey,
    /// Not at all.
    Off,
}

fn open_session(dir: &std::path::Path, check: Check) -> anyhow::Result<Session> {
    let paths = Paths {
        config_file: dir.join("klingel.toml"),
        data_dir: dir.join("data"),
    };
    Ok(Session::open(paths, settings(check))?)
}

fn settings(check: Check) -> Settings {
    let mut settings = Settings::default();
    settings.listener.address = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    settings.listener.username = Some(USER.to_owned());
    settings.listener.password = Some(PASSWORD.to_owned());
    settings.listener.verify_signature = !matches!(check, Check::Off);
    settings.listener.public_key = match check {
        Check::SipgateKey => None,
        Check::BenchKey | Check::Off => Some(pushes::PUBLIC_KEY_PEM.to_owned()),
    };
    settings
}

fn start(server: &Runtime, session: &Session) -> anyhow::Result<Target> {
    let status = server.block_on(session.start())?;
    target(&status.address)
}

fn reconfigure(server: &Runtime, session: &Session, check: Check) -> anyhow::Result<Target> {
    let saved = server.block_on(session.apply_settings(settings(check)))?;
    target(&saved.listener.address)
}

fn target(address: &str) -> anyhow::Result<Target> {
    use base64::Engine as _;
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    Ok(Target {
        addr: address.parse()?,
        path: "/".to_owned(),
        authorization: Some(format!("Basic {credentials}")),
        headers: Vec::new(),
    })
}

/// Klingel and the peer answer the same lanes in turn, twice each, after a first second each
/// that is not counted (Node compiles its hot paths while it runs).
fn peer_turns(
    client: &Runtime,
    klingel: &Target,
    peer: &Target,
    url: &str,
    fixture: impl Fn() -> Vec<Vec<pushes::Push>>,
    budget: Duration,
) -> anyhow::Result<(Vec<Round>, Vec<Round>)> {
    let warm_up = Duration::from_secs(1);
    client.block_on(load::run(klingel, fixture(), warm_up))?;
    client.block_on(load::run(peer, fixture(), warm_up))?;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for turn in 1..=2 {
        let klingel_round = load::run_measured(client, klingel, fixture(), budget)?;
        print_round(
            &format!("Klingel, sipgate's fixture, turn {turn}"),
            &klingel_round,
        );
        let peer_round = client.block_on(load::run(peer, fixture(), budget))?;
        print_round(
            &format!("peer {url}, sipgate's fixture, turn {turn}"),
            &peer_round,
        );
        ours.push(klingel_round);
        theirs.push(peer_round);
    }
    Ok((ours, theirs))
}

/// The peer's address and path from `http://HOST:PORT/PATH`, with its extra headers.
fn peer_target(url: &str, headers: &[String]) -> anyhow::Result<Target> {
    use std::net::ToSocketAddrs as _;
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("--peer takes an http:// URL, not {url:?}"))?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let addr = authority
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| anyhow::anyhow!("--peer: {authority:?} has no address"))?;
    let headers = headers
        .iter()
        .map(|h| {
            let (name, value) = h
                .split_once(':')
                .ok_or_else(|| anyhow::anyhow!("--peer-header wants `Name: value`, not {h:?}"))?;
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(Target {
        addr,
        path: if path.is_empty() { "/" } else { path }.to_owned(),
        authorization: None,
        headers,
    })
}

/// Push latency with the big and the small book, hits and misses, one push at a time,
/// alternating rounds so both see the same machine.
fn lookup_rounds(
    client: &Runtime,
    big: &Target,
    small: &Target,
    book: usize,
) -> anyhow::Result<Vec<(&'static str, Duration, Duration)>> {
    const PER_ROUND: usize = 1_500;
    let mut figures = Vec::new();
    for (kind, known) in [("hits", true), ("misses", false)] {
        let (mut big_p50, mut small_p50) = (Vec::new(), Vec::new());
        for round in 0..4 {
            let newcalls = |run: &str, size: usize| {
                (0..PER_ROUND)
                    .map(|n| {
                        let [new_call, _, _] =
                            pushes::call(n, run, &pushes::caller(n * 7919, known, size));
                        new_call
                    })
                    .collect::<Vec<_>>()
            };
            let run_big = format!("L{kind}{round}B");
            let run_small = format!("L{kind}{round}S");
            let one = |target: &Target, bodies| {
                client.block_on(load::run(
                    target,
                    vec![pushes::unsigned(bodies)],
                    Duration::from_secs(30),
                ))
            };
            let big_round: Round = one(big, newcalls(&run_big, book))?;
            let small_round: Round = one(small, newcalls(&run_small, 1_000))?;
            big_p50.push(big_round.percentile(0.5));
            small_p50.push(small_round.percentile(0.5));
        }
        big_p50.sort();
        small_p50.sort();
        figures.push((
            kind,
            big_p50[big_p50.len() / 2],
            small_p50[small_p50.len() / 2],
        ));
    }
    Ok(figures)
}

fn print_round(name: &str, round: &Round) {
    println!(
        "{name}: {} ({} answered, {} failed, {:.1} s)",
        round.summary(),
        round.ok,
        round.failed,
        round.elapsed.as_secs_f64()
    );
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

mod baselines {
    //! What the listener's figures are compared with, measured in the same run.

    use std::time::{Duration, Instant};

    use axum::routing::post;
    use klingel_core::sipgate::signature::SIPGATE_PUBLIC_KEY_PEM;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::DecodePublicKey as _;
    use rsa::sha2::Sha256;
    use rsa::signature::Verifier as _;
    use rsa::traits::PublicKeyParts as _;
    use tokio::runtime::Runtime;

    use crate::load::{self, Round, Target};
    use crate::pushes::Push;

    const SIGNED: &[u8] =
        include_bytes!("../../klingel-core/tests/fixtures/sipgate/signed-newcall-2021.form");
    const SIGNATURE: &str =
        include_str!("../../klingel-core/tests/fixtures/sipgate/signed-newcall-2021.sig");

    /// `connections` lanes of `per_lane` copies of sipgate's signed `newCall`, signature included.
    pub fn sipgate_fixture(connections: usize, per_lane: usize) -> Vec<Vec<Push>> {
        let push = Push {
            body: bytes::Bytes::from_static(SIGNED),
            signature: Some(SIGNATURE.trim().to_owned()),
        };
        vec![vec![push; per_lane]; connections.max(1)]
    }

    /// Verifications per second on one core.
    pub struct VerifyRate {
        /// With `ring`.
        pub ring: f64,
        /// With the `rsa` crate.
        pub rsa: f64,
    }

    /// Verifies sipgate's signed `newCall` with sipgate's key in a loop on this thread, the
    /// bare primitive (no header parsing): what one core can check at most.
    pub fn verify_rate(each: Duration) -> VerifyRate {
        use base64::Engine as _;
        let key = rsa::RsaPublicKey::from_public_key_pem(SIPGATE_PUBLIC_KEY_PEM)
            .expect("the built-in key parses");
        let signature = base64::engine::general_purpose::STANDARD
            .decode(SIGNATURE.trim())
            .expect("the fixture's signature is base64");
        let components = ring::signature::RsaPublicKeyComponents {
            n: key.n().to_bytes_be(),
            e: key.e().to_bytes_be(),
        };
        let ring = rate(each, || {
            components
                .verify(
                    &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    SIGNED,
                    &signature,
                )
                .is_ok()
        });
        let verifying = VerifyingKey::<Sha256>::new(key);
        let parsed = Signature::try_from(signature.as_slice()).expect("signature");
        let rsa = rate(each, || verifying.verify(SIGNED, &parsed).is_ok());
        VerifyRate { ring, rsa }
    }

    fn rate(each: Duration, mut verify: impl FnMut() -> bool) -> f64 {
        let started = Instant::now();
        let mut count = 0_u64;
        while started.elapsed() < each {
            assert!(verify(), "sipgate's fixture must verify");
            count += 1;
        }
        count as f64 / started.elapsed().as_secs_f64()
    }

    /// A bare axum route answering every POST with a fixed reply, under the listener's load.
    pub fn bare_axum(
        server: &Runtime,
        client: &Runtime,
        connections: usize,
        budget: Duration,
    ) -> anyhow::Result<Round> {
        let listener = server.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        let app = axum::Router::new().fallback(post(|| async { "ok" }));
        let serving = server.spawn(async move { axum::serve(listener, app).await });
        let body = bytes::Bytes::from_static(SIGNED);
        let per_lane = 400_000 / connections.max(1);
        let lanes = (0..connections)
            .map(|_| {
                vec![
                    Push {
                        body: body.clone(),
                        signature: None,
                    };
                    per_lane
                ]
            })
            .collect();
        let target = Target {
            addr,
            path: "/".to_owned(),
            authorization: None,
            headers: Vec::new(),
        };
        let round = client.block_on(load::run(&target, lanes, budget))?;
        serving.abort();
        Ok(round)
    }
}
