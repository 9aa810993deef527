//! The office hub with many desks: `cargo bench -p klingel-core --bench hub`.
//!
//! A hub (a real session: SQLite with `synchronous=FULL`, the listener on loopback, plain HTTP
//! as behind a reverse proxy, the signature check off) receives `newCall` pushes from one client,
//! one at a time, each a new call. Rounds in the same run:
//! - no desks (the baseline);
//! - 100 desks, each following the event stream over its own connection;
//! - one desk that opened its stream and never reads (a 4 KB receive window);
//! - no desks again, to see the baseline held.
//!
//! Each round reports push latency p50/p99 and its ratio to the baseline; the desks' round
//! also whether every desk got every event and push → desk latency (from sending the push to
//! the event's arrival at a desk) p50/p99 over all desks. The desks run in this process on
//! the same two cores as the hub, so they take CPU an office's desks would not.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use klingel_core::hub::client::HubClient;
use klingel_core::hub::sse::SseItem;
use klingel_core::{Paths, Session, Settings};

/// When each event (by seq) reached one desk.
type Arrivals = Arc<Mutex<Vec<(i64, Instant)>>>;

/// Pushes per round.
const PUSHES: usize = 1000;
/// Desks in the desks' round.
const DESKS: usize = 100;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::default();
    settings.listener.address = "127.0.0.1:0".parse().expect("loopback");
    settings.listener.verify_signature = false;
    settings.hub.enabled = true;
    settings.hub.behind_proxy = true;
    let paths = Paths {
        config_file: dir.path().join("klingel.toml"),
        data_dir: dir.path().join("data"),
    };
    let session = tokio::task::block_in_place(|| Session::open(paths, settings)).expect("session");
    let status = session.start().await.expect("hub listens");
    let url = format!("http://{}", status.address);
    println!("{PUSHES} newCall pushes per round, one at a time; {DESKS} desks in the desks' round");

    let mut next = 0;
    let baseline = push_round(&url, &mut next).await;
    report("no desks (baseline)", &baseline, &baseline);

    // 100 desks, each with its stream open and caught up before the pushes start.
    let arrivals: Vec<Arrivals> = (0..DESKS).map(|_| Arc::default()).collect();
    let head = tokio::task::block_in_place(|| session.head_seq()).expect("head");
    let mut desks = Vec::new();
    for (i, arrived) in arrivals.iter().enumerate() {
        let (_, token) =
            tokio::task::block_in_place(|| session.add_desk(&format!("desk {i}"), &[], false))
                .expect("desk");
        let client = HubClient::new(&url, &token, None).expect("client");
        let mut stream = client.events(Some(head)).await.expect("stream");
        // Until `synced`, so the round starts with every desk live.
        loop {
            match stream.next(Duration::from_secs(30)).await.expect("stream") {
                Some(SseItem::Event(e)) if e.event == "synced" => break,
                Some(_) => {}
                None => panic!("stream ended"),
            }
        }
        let arrived = arrived.clone();
        desks.push(tokio::spawn(async move {
            while let Ok(Some(item)) = stream.next(Duration::from_secs(60)).await {
                if let SseItem::Event(e) = item {
                    if let Some(seq) = e
                        .has_id
                        .then(|| e.id.and_then(|id| id.parse().ok()))
                        .flatten()
                    {
                        arrived
                            .lock()
                            .expect("arrivals")
                            .push((seq, Instant::now()));
                    }
                }
            }
        }));
    }
    let first_seq = tokio::task::block_in_place(|| session.head_seq()).expect("head") + 1;
    let with_desks = push_round(&url, &mut next).await;
    report(&format!("{DESKS} desks"), &with_desks, &baseline);
    // Each push is one new call, so it is one event: push i has seq first_seq + i.
    let last_seq = first_seq + i64::try_from(PUSHES).expect("pushes") - 1;
    let deadline = Instant::now() + Duration::from_secs(60);
    while arrivals.iter().any(|a| {
        a.lock()
            .expect("arrivals")
            .last()
            .is_none_or(|(seq, _)| *seq < last_seq)
    }) && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut complete = 0;
    let mut latencies = Vec::new();
    for arrived in &arrivals {
        let arrived = arrived.lock().expect("arrivals");
        let seqs: Vec<i64> = arrived.iter().map(|(s, _)| *s).collect();
        if seqs == (first_seq..=last_seq).collect::<Vec<_>>() {
            complete += 1;
        }
        for (seq, at) in arrived.iter() {
            let index = usize::try_from(seq - first_seq).expect("index");
            if let Some((sent, _)) = with_desks.get(index) {
                latencies.push(at.duration_since(*sent));
            }
        }
    }
    let (p50, p99) = percentiles(&mut latencies);
    println!(
        "  every event at every desk: {complete} of {DESKS} desks got all {PUSHES}, in order, once"
    );
    println!("  push → desk: p50 {} p99 {}", ms(p50), ms(p99));
    for desk in desks {
        desk.abort();
    }

    // One desk that never reads.
    let (_, token) =
        tokio::task::block_in_place(|| session.add_desk("stalled", &[], false)).expect("desk");
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("small window");
    let mut stalled = socket
        .connect(status.address.parse().expect("address"))
        .await
        .expect("connect");
    tokio::io::AsyncWriteExt::write_all(
        &mut stalled,
        format!(
            "GET /api/v1/events?since=0 HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {token}\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .expect("request");
    // Its replay fills the small window at once; the round measures the stall after that.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let with_stalled = push_round(&url, &mut next).await;
    report("one desk that never reads", &with_stalled, &baseline);
    drop(stalled);

    let again = push_round(&url, &mut next).await;
    report("no desks again", &again, &baseline);
    session.shutdown().await;
}

/// Posts `PUSHES` new calls one at a time; returns when each was sent and how long it took.
async fn push_round(url: &str, next: &mut usize) -> Vec<(Instant, Duration)> {
    let (url, start) = (format!("{url}/"), *next);
    *next += PUSHES;
    tokio::task::spawn_blocking(move || {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        (start..start + PUSHES)
            .map(|i| {
                let body = format!(
                    "event=newCall&direction=in&from=4921166{i:05}&to=4921155500000&callId=H{i}\
                     &user%5B%5D=Anna&userId%5B%5D=w0"
                );
                let sent = Instant::now();
                let status = agent
                    .post(&url)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .send(&body)
                    .expect("answered")
                    .status();
                assert_eq!(status, 200);
                (sent, sent.elapsed())
            })
            .collect()
    })
    .await
    .expect("pushes")
}

fn report(label: &str, round: &[(Instant, Duration)], baseline: &[(Instant, Duration)]) {
    let mut these: Vec<Duration> = round.iter().map(|(_, d)| *d).collect();
    let mut base: Vec<Duration> = baseline.iter().map(|(_, d)| *d).collect();
    let (p50, p99) = percentiles(&mut these);
    let (b50, b99) = percentiles(&mut base);
    println!(
        "{label}: push p50 {} p99 {} ({:.2}x and {:.2}x the baseline)",
        ms(p50),
        ms(p99),
        p50.as_secs_f64() / b50.as_secs_f64(),
        p99.as_secs_f64() / b99.as_secs_f64()
    );
}

fn percentiles(values: &mut [Duration]) -> (Duration, Duration) {
    values.sort_unstable();
    let at = |q: f64| {
        values
            .get(((values.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    (at(0.50), at(0.99))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
