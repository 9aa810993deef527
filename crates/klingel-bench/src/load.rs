//! The load generator: N keep-alive HTTP/1.1 connections, each posting its own list of
//! requests one after another as fast as they are answered (like `wrk` with a fixed script).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::Request;
use hyper_util::rt::TokioIo;

use crate::pushes::Push;

/// Where the requests go.
#[derive(Clone)]
pub struct Target {
    /// The listener's address (loopback).
    pub addr: SocketAddr,
    /// The request path.
    pub path: String,
    /// An `Authorization` header value, when the listener wants Basic auth.
    pub authorization: Option<String>,
    /// More headers for every request (a peer's origin check may want `X-Forwarded-For`).
    pub headers: Vec<(String, String)>,
}

/// What one round measured.
pub struct Round {
    /// Requests answered with 200.
    pub ok: usize,
    /// Requests answered otherwise, or failed.
    pub failed: usize,
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// Latency of every answered request, sorted.
    pub latencies: Vec<Duration>,
    /// CPU time the listener's push writer spent during the round, when measured.
    pub writer_cpu: Option<Duration>,
}

impl Round {
    /// Answered requests per second.
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    /// "N/s, p50 X ms, p99 Y ms": how the round reads in the report and the summary table,
    /// with the writer's CPU per push and how busy it was when measured.
    pub fn summary(&self) -> String {
        let writer = self.writer_cpu.map_or_else(String::new, |cpu| {
            format!(
                ", writer {:.1} µs/push ({:.0} % busy)",
                cpu.as_secs_f64() * 1e6 / self.ok.max(1) as f64,
                cpu.as_secs_f64() * 100.0 / self.elapsed.as_secs_f64()
            )
        });
        format!(
            "{:.0}/s, p50 {}, p99 {}{writer}",
            self.rate(),
            crate::ms(self.percentile(0.5)),
            crate::ms(self.percentile(0.99))
        )
    }

    /// The latency at `quantile` (0..=1).
    pub fn percentile(&self, quantile: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let last = self.latencies.len() - 1;
        let index = ((last as f64) * quantile).round() as usize;
        self.latencies[index.min(last)]
    }
}

/// [`run`] on `client`, with the CPU time Klingel's push writer spent meanwhile.
pub fn run_measured(
    client: &tokio::runtime::Runtime,
    target: &Target,
    lanes: Vec<Vec<Push>>,
    budget: Duration,
) -> anyhow::Result<Round> {
    // The writer starts with the listener's first push: none yet means none spent.
    let before = crate::threads::cpu_time(crate::threads::WRITER).unwrap_or_default();
    let mut round = client.block_on(run(target, lanes, budget))?;
    let after = crate::threads::cpu_time(crate::threads::WRITER);
    round.writer_cpu = after.map(|a| a.saturating_sub(before));
    Ok(round)
}

/// Posts every lane's requests over its own connection until the lane is done or `budget`
/// has passed. Call on the client's runtime.
pub async fn run(
    target: &Target,
    lanes: Vec<Vec<Push>>,
    budget: Duration,
) -> anyhow::Result<Round> {
    let started = Instant::now();
    let deadline = started + budget;
    let mut tasks = Vec::new();
    for lane in lanes {
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            lane_run(&target, lane, deadline).await
        }));
    }
    let mut round = Round {
        ok: 0,
        failed: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        writer_cpu: None,
    };
    for task in tasks {
        let (ok, failed, latencies) = task.await??;
        round.ok += ok;
        round.failed += failed;
        round.latencies.extend(latencies);
    }
    round.elapsed = started.elapsed();
    round.latencies.sort_unstable();
    Ok(round)
}

async fn lane_run(
    target: &Target,
    lane: Vec<Push>,
    deadline: Instant,
) -> anyhow::Result<(usize, usize, Vec<Duration>)> {
    let stream = tokio::net::TcpStream::connect(target.addr).await?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let host = target.addr.to_string();
    let (mut ok, mut failed) = (0, 0);
    let mut latencies = Vec::with_capacity(lane.len());
    for push in lane {
        if Instant::now() >= deadline {
            break;
        }
        let mut request = Request::post(target.path.as_str())
            .header(HOST, host.as_str())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(value) = &target.authorization {
            request = request.header(AUTHORIZATION, value.as_str());
        }
        if let Some(signature) = &push.signature {
            request = request.header("x-sipgate-signature", signature.as_str());
        }
        for (name, value) in &target.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = request.body(Full::<Bytes>::new(push.body))?;
        let sent = Instant::now();
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        let reply = response.into_body().collect().await?.to_bytes();
        // sipgate's Node library answers a failed signature check with 200 and an `<Error>`
        // element: only a reply without one counts.
        if status.is_success() && memchr::memmem::find(&reply, b"<Error").is_none() {
            ok += 1;
            latencies.push(sent.elapsed());
        } else {
            failed += 1;
        }
    }
    Ok((ok, failed, latencies))
}

/// Deals requests to `connections` lanes: whole groups of `group` (one call's pushes) stay on
/// one lane, in order, so a call's answer never overtakes its newCall.
pub fn lanes(pushes: Vec<Push>, connections: usize, group: usize) -> Vec<Vec<Push>> {
    let mut lanes = vec![Vec::new(); connections.max(1)];
    for (i, push) in pushes.into_iter().enumerate() {
        let lane = (i / group.max(1)) % lanes.len();
        lanes[lane].push(push);
    }
    lanes
}
