//! Real pushes while junk floods the listener: `cargo bench -p klingel-core --bench flood`.
//!
//! The listener runs as in production: Basic auth on, signatures checked (with a key trusted
//! for calls, standing in for sipgate's), a real SQLite file with `synchronous=FULL`. One
//! client posts signed `newCall` pushes with the right credentials, one at a time, and the
//! latency of each is measured. In the flood rounds 64 more connections, driven by one client
//! thread as a load tool drives them, post junk without credentials as fast as the listener
//! answers them (401s): once over kept-alive connections, once with a new connection for every
//! request. Quiet rounds alternate with flood rounds in the same run; the report gives p50 and
//! p95 of the real pushes per round and as ratios to the quiet rounds.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use klingel_core::config::ListenerConfig;
use klingel_core::http::{self, HttpState, ListenerSettings};
use klingel_core::sipgate::TestSigner;
use klingel_core::{Monitor, Settings, Store};

/// Real pushes per round.
const PUSHES: usize = 300;
/// Connections flooding the listener.
const FLOODERS: usize = 64;
/// Rounds of each kind, alternating.
const ROUNDS: usize = 2;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("bench.sqlite3")).expect("store");
    let settings = Settings::default();
    let monitor = Monitor::new(store, &settings);
    let sipgate = TestSigner::load_or_create(&dir.path().join("stand-in.pem")).expect("key");
    let config = ListenerConfig {
        username: Some("sipgate".into()),
        password: Some("a long random secret".into()),
        ..ListenerConfig::default()
    };
    let mut listener = ListenerSettings::new(&config, None).expect("listener settings");
    listener
        .verifier
        .add_key("sipgate stand-in", sipgate.public_key());
    let state = HttpState::new(monitor, listener);
    let addr = serve(state.clone());
    let url = format!("http://{addr}/");
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("sipgate:a long random secret")
    );

    // Signed up front: signing is the client's work, not the listener's.
    let bodies: Vec<(String, String)> = (0..PUSHES * ROUNDS * 3 + 20)
        .map(|i| {
            let body = format!(
                "event=newCall&direction=in&from=4921155{i:05}&to=4921155500000&callId=F{i}&user%5B%5D=Alice"
            );
            let signature = sipgate.sign(body.as_bytes());
            (body, signature)
        })
        .collect();
    let mut bodies = bodies.into_iter();
    let client = agent();
    let push = |bodies: &mut dyn Iterator<Item = (String, String)>| {
        let (body, signature) = bodies.next().expect("enough bodies");
        let started = Instant::now();
        let status = client
            .post(&url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Authorization", &auth)
            .header("X-Sipgate-Signature", &signature)
            .send(&body)
            .expect("push answered")
            .status();
        assert_eq!(status.as_u16(), 200, "a real push is accepted");
        started.elapsed()
    };
    // Warm up: connections, statement cache, number metadata.
    for _ in 0..20 {
        push(&mut bodies);
    }

    println!("{PUSHES} signed pushes per round, {FLOODERS} flooding connections in flood rounds");
    let mut quiet = Vec::new();
    let mut kept = Vec::new();
    let mut fresh = Vec::new();
    for round in 1..=ROUNDS {
        let times: Vec<Duration> = (0..PUSHES).map(|_| push(&mut bodies)).collect();
        report(&format!("round {round}, quiet"), &times, None);
        quiet.extend(times);
        for (reconnect, label, all) in [
            (false, "flood on kept-alive connections", &mut kept),
            (true, "flood with a new connection per request", &mut fresh),
        ] {
            let flood = Flood::start(&url, FLOODERS, reconnect);
            std::thread::sleep(Duration::from_millis(300));
            let started = Instant::now();
            let before = flood.answered();
            let times: Vec<Duration> = (0..PUSHES).map(|_| push(&mut bodies)).collect();
            let rate = (flood.answered() - before) as f64 / started.elapsed().as_secs_f64();
            flood.stop();
            report(&format!("round {round}, {label}"), &times, Some(rate));
            all.extend(times);
        }
    }
    let (q50, q95) = percentiles(&mut quiet);
    println!("all rounds, quiet: p50 {} p95 {}", ms(q50), ms(q95));
    for (label, all) in [
        ("kept-alive flood", &mut kept),
        ("new-connection flood", &mut fresh),
    ] {
        let (f50, f95) = percentiles(all);
        println!(
            "all rounds, {label}: p50 {} p95 {} ({:.2}x and {:.2}x quiet)",
            ms(f50),
            ms(f95),
            f50.as_secs_f64() / q50.as_secs_f64(),
            f95.as_secs_f64() / q95.as_secs_f64()
        );
    }
    println!(
        "refused requests not recorded (queue full): {}; connections closed over the cap: {}",
        state.unrecorded_requests(),
        state.refused_connections()
    );
}

/// Serves `state` on a loopback port from a runtime of two workers, as the app runs it.
fn serve(state: HttpState) -> std::net::SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind loopback");
            tx.send(listener.local_addr().expect("address"))
                .expect("report address");
            http::serve(listener, state, std::future::pending())
                .await
                .expect("serve");
        });
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("listener started")
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// Connections posting junk without credentials as fast as they are answered: one client
/// thread driving all of them over keep-alive connections, the way a load tool (or a bot)
/// does, so the flood costs the machine what a real one would and not 64 threads' scheduling.
struct Flood {
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl Flood {
    fn start(url: &str, connections: usize, reconnect: bool) -> Self {
        let addr: std::net::SocketAddr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("listener address");
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicU64::new(0));
        let (stop_flag, counter) = (stop.clone(), answered.clone());
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("flood runtime");
            runtime.block_on(async move {
                let tasks: Vec<_> = (0..connections)
                    .map(|i| {
                        tokio::spawn(flood_one(
                            addr,
                            i,
                            reconnect,
                            stop_flag.clone(),
                            counter.clone(),
                        ))
                    })
                    .collect();
                for task in tasks {
                    let _ = task.await;
                }
            });
        });
        Self {
            stop,
            answered,
            thread,
        }
    }

    fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

/// One flooding connection: a junk push without credentials, its answer read, again; a new
/// connection whenever the listener closes one, or for every request with `reconnect`.
async fn flood_one(
    addr: std::net::SocketAddr,
    i: usize,
    reconnect: bool,
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicU64>,
) {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let body = format!("event=newCall&callId=junk{i}&from=0&to=0");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    while !stop.load(Ordering::Relaxed) {
        let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let mut stream = BufReader::new(stream);
        'requests: while !stop.load(Ordering::Relaxed) {
            if stream
                .get_mut()
                .write_all(request.as_bytes())
                .await
                .is_err()
            {
                break;
            }
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                match stream.read_line(&mut line).await {
                    Ok(0) | Err(_) => break 'requests,
                    Ok(_) => {}
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut answer = vec![0; length];
            if stream.read_exact(&mut answer).await.is_err() {
                break;
            }
            answered.fetch_add(1, Ordering::Relaxed);
            if reconnect {
                break;
            }
        }
    }
}

fn percentiles(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort();
    let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    (at(0.50), at(0.95))
}

fn report(label: &str, times: &[Duration], flood_rate: Option<f64>) {
    let mut sorted = times.to_vec();
    let (p50, p95) = percentiles(&mut sorted);
    let flood = flood_rate.map_or(String::new(), |rate| {
        format!(", flood answered {rate:.0} requests/s")
    });
    println!("{label}: p50 {} p95 {}{flood}", ms(p50), ms(p95));
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
