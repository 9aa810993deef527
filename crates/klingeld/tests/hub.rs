//! The office hub the way an office runs it: `klingeld serve` with the hub on, HTTPS from a
//! test CA, desks added on the hub's command line, and `klingeld watch` desks as processes of
//! their own, all over loopback.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long any wait in these tests may take.
const PATIENCE: Duration = Duration::from_secs(30);

/// A test CA and a certificate for 127.0.0.1 signed by it, as PEM files in `dir`.
fn test_ca(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Klingel test CA");
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let server_key = rcgen::KeyPair::generate().expect("server key");
    let server_params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("server params");
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .expect("server certificate");
    let (ca, cert, key) = (
        dir.join("ca.pem"),
        dir.join("hub.pem"),
        dir.join("hub-key.pem"),
    );
    std::fs::write(&ca, ca_cert.pem()).expect("write CA");
    std::fs::write(&cert, server_cert.pem()).expect("write certificate");
    std::fs::write(&key, server_key.serialize_pem()).expect("write key");
    (ca, cert, key)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Collects a child's output lines on a thread.
fn collect(reader: impl std::io::Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    collect_into(reader, Arc::default())
}

/// Adds a child's output lines to `lines`, on a thread; returns `lines`.
fn collect_into(
    reader: impl std::io::Read + Send + 'static,
    lines: Arc<Mutex<Vec<String>>>,
) -> Arc<Mutex<Vec<String>>> {
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines().map_while(Result::ok) {
            sink.lock().expect("lines").push(line);
        }
    });
    lines
}

/// A hub with its data, settings and certificate in a temp dir.
struct Office {
    dir: tempfile::TempDir,
    port: u16,
    ca: PathBuf,
    hub: Option<Child>,
    hub_log: Arc<Mutex<Vec<String>>>,
}

impl Office {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (ca, cert, key) = test_ca(dir.path());
        let port = free_port();
        std::fs::write(
            dir.path().join("klingel.toml"),
            format!(
                "[listener]\naddress = \"127.0.0.1:{port}\"\nverify_signature = false\n\
                 tls_cert = {cert:?}\ntls_key = {key:?}\n\n[hub]\nenabled = true\n"
            ),
        )
        .expect("write settings");
        Self {
            dir,
            port,
            ca,
            hub: None,
            hub_log: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    fn klingeld(&self, data: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_klingeld"));
        cmd.env("KLINGEL_DATA_DIR", self.dir.path().join(data))
            .env("KLINGEL_CONFIG", self.dir.path().join("klingel.toml"))
            .env("HOME", self.dir.path())
            .env("LC_ALL", "C.UTF-8")
            // Dead links show within a couple of seconds, not 45.
            .env("KLINGEL_HUB_KEEPALIVE_MS", "300")
            .env_remove("KLINGEL_HUB_TOKEN")
            .env_remove("RUST_LOG");
        cmd
    }

    /// Runs a hub-side command and requires success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self
            .klingeld("hub")
            .args(args)
            .output()
            .expect("klingeld runs");
        assert!(
            out.status.success(),
            "klingeld {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// Adds a desk and returns its token: the last line of stdout.
    fn add_desk(&self, name: &str, flags: &[&str]) -> String {
        let mut args = vec!["desks", "add", name];
        args.extend_from_slice(flags);
        let out = self.ok(&args);
        let token = out.lines().last().expect("a token line").trim().to_string();
        assert!(token.starts_with("kl1_"), "{out}");
        token
    }

    fn start_hub(&mut self) {
        let mut child = self
            .klingeld("hub")
            .args(["serve", "--hub"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        self.hub_log = collect(child.stderr.take().expect("stderr"));
        self.hub = Some(child);
        let agent = self.agent();
        let started = Instant::now();
        while started.elapsed() < PATIENCE {
            let up = agent
                .get(format!("{}/healthz", self.url()))
                .call()
                .is_ok_and(|r| r.status() == 200);
            if up {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "the hub never answered over HTTPS:\n{}",
            self.hub_log.lock().expect("log").join("\n")
        );
    }

    fn kill_hub(&mut self) {
        if let Some(mut hub) = self.hub.take() {
            let _ = hub.kill();
            let _ = hub.wait();
        }
    }

    /// An HTTPS client that trusts the test CA.
    fn agent(&self) -> ureq::Agent {
        agent_trusting(&self.ca)
    }

    /// Posts a push body the way sipgate does; returns the status.
    fn push(&self, body: &str) -> u16 {
        self.agent()
            .post(format!("{}/", self.url()))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(body)
            .map(|r| r.status().as_u16())
            .expect("the hub answers")
    }

    /// Starts `klingeld watch` as a desk with `token`, keeping its cursor in its own dir.
    fn watch(&self, name: &str, token: &str) -> Desk {
        let mut child = self
            .klingeld(&format!("desk-{name}"))
            .args([
                "watch",
                "--hub",
                &self.url(),
                "--json",
                "--idle-timeout",
                "2",
            ])
            .arg("--ca-file")
            .arg(&self.ca)
            .env("KLINGEL_HUB_TOKEN", token)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("watch starts");
        let out = collect(child.stdout.take().expect("stdout"));
        let err = collect(child.stderr.take().expect("stderr"));
        let desk = Desk {
            name: name.to_string(),
            child,
            out,
            err,
        };
        desk.wait_err("its stream to go live", |line| {
            line.starts_with("live from")
        });
        desk
    }

    fn cursor_file(&self, name: &str) -> PathBuf {
        self.dir
            .path()
            .join(format!("desk-{name}"))
            .join("desk-cursor.json")
    }

    /// Everything the hub process wrote to its log.
    fn hub_log(&self) -> String {
        self.hub_log.lock().expect("log").join("\n")
    }
}

impl Drop for Office {
    fn drop(&mut self) {
        self.kill_hub();
    }
}

/// A running `klingeld watch`.
struct Desk {
    name: String,
    child: Child,
    out: Arc<Mutex<Vec<String>>>,
    err: Arc<Mutex<Vec<String>>>,
}

impl Desk {
    /// The JSON lines printed so far.
    fn lines(&self) -> Vec<Value> {
        self.out
            .lock()
            .expect("lines")
            .iter()
            .map(|l| serde_json::from_str(l).expect("watch --json prints JSON lines"))
            .collect()
    }

    fn stderr(&self) -> String {
        self.err.lock().expect("stderr").join("\n")
    }

    /// Waits (bounded) until `done` holds for the JSON lines.
    fn wait_for(&self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let started = Instant::now();
        while started.elapsed() < PATIENCE {
            let lines = self.lines();
            if done(&lines) {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "desk {} never saw {what}; it printed:\n{}\nstderr:\n{}",
            self.name,
            self.out.lock().expect("lines").join("\n"),
            self.stderr()
        );
    }

    /// Waits (bounded) until a stderr line matches.
    fn wait_err(&self, what: &str, matches: impl Fn(&str) -> bool) {
        let started = Instant::now();
        while started.elapsed() < PATIENCE {
            if self.err.lock().expect("stderr").iter().any(|l| matches(l)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "desk {} never reported {what}; stderr:\n{}",
            self.name,
            self.stderr()
        );
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }
}

impl Drop for Desk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines about one call (by the hub's call id in the log).
fn about(lines: &[Value], call: i64) -> Vec<Value> {
    lines
        .iter()
        .filter(|l| l["id"].as_i64() == Some(call))
        .cloned()
        .collect()
}

fn seqs(lines: &[Value]) -> Vec<i64> {
    lines
        .iter()
        .map(|l| l["seq"].as_i64().expect("seq"))
        .collect()
}

fn strictly_increasing(seqs: &[i64]) -> bool {
    seqs.windows(2).all(|w| w[0] < w[1])
}

/// A call from `from` that rings the users `ids` (names A, B, …), with `callId` `id`.
fn ring(id: &str, from: &str, ids: &[&str]) -> String {
    let mut body = format!(
        "event=newCall&direction=in&from={from}&to=4915791234567&callId={id}&origCallId={id}"
    );
    for (i, user) in ids.iter().enumerate() {
        let name = ["Alice", "Carol", "Bob", "Dave"].get(i).unwrap_or(&"X");
        body.push_str(&format!("&user%5B%5D={name}&userId%5B%5D={user}"));
    }
    body
}

fn hangup(id: &str, cause: &str) -> String {
    format!(
        "event=hangup&cause={cause}&callId={id}&from=492111234567&to=4915791234567&direction=in"
    )
}

#[test]
fn a_group_call_reaches_every_desk_in_order_and_pops_up_only_where_it_rings() {
    let mut office = Office::new();
    let tokens = [
        ("Alice", office.add_desk("Alice", &["--sipgate-user", "w0"])),
        ("Bob", office.add_desk("Bob", &["--sipgate-user", "w2"])),
        ("Empfang", office.add_desk("Empfang", &["--all-calls"])),
        ("Carol", office.add_desk("Carol", &["--sipgate-user", "w1"])),
    ];
    office.start_hub();
    let desks: Vec<Desk> = tokens
        .iter()
        .map(|(name, token)| office.watch(name, token))
        .collect();

    assert_eq!(office.push(&ring("g1", "492111234567", &["w0", "w2"])), 200);
    let first = desks[0].wait_for("the ringing call", |l| !l.is_empty());
    let call = first[0]["id"].as_i64().expect("call id");
    std::thread::sleep(Duration::from_millis(300));
    let answer = "event=answer&callId=g1&user=Bob&userId=w2&from=492111234567\
                  &to=4915791234567&direction=in&answeringNumber=4921199999999";
    assert_eq!(office.push(answer), 200);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(office.push(&hangup("g1", "normalClearing")), 200);

    let mut all_seqs = Vec::new();
    for desk in &desks {
        let lines = desk.wait_for("the call end", |l| {
            about(l, call).last().is_some_and(|c| c["state"] == "ended")
        });
        let lines = about(&lines, call);
        let states: Vec<&str> = lines.iter().filter_map(|l| l["state"].as_str()).collect();
        assert_eq!(
            states,
            ["ringing", "answered", "ended"],
            "desk {}",
            desk.name
        );
        assert!(lines.iter().all(|l| l["replayed"] == false));
        let popups: Vec<bool> = lines.iter().map(|l| l["popup"] == true).collect();
        let expected = desk.name != "Carol";
        assert_eq!(popups, [expected; 3], "popups at {}", desk.name);
        assert_eq!(lines[1]["answered_by"]["user_id"], "w2");
        assert_eq!(lines[1]["answered_by"]["name"], "Bob");
        all_seqs.push(seqs(&lines));
    }
    assert!(strictly_increasing(&all_seqs[0]), "{all_seqs:?}");
    assert!(
        all_seqs.iter().all(|s| s == &all_seqs[0]),
        "every desk gets the same seqs: {all_seqs:?}"
    );

    // Tokens are shown once and kept nowhere: not in the hub's log, not in its database.
    office.kill_hub();
    let log = office.hub_log();
    let mut database = Vec::new();
    for entry in std::fs::read_dir(office.dir.path().join("hub")).expect("data dir") {
        let path = entry.expect("entry").path();
        if path.to_string_lossy().contains("sqlite") {
            database.extend(std::fs::read(&path).expect("database file"));
        }
    }
    for (name, token) in &tokens {
        assert!(!log.contains(token.as_str()), "{name}'s token in the log");
        let secret = token.splitn(3, '_').nth(2).expect("secret part");
        assert!(
            !database
                .windows(secret.len())
                .any(|w| w == secret.as_bytes()),
            "{name}'s token in the database"
        );
    }
}

#[test]
fn a_desk_stopped_while_calls_arrive_catches_up_without_gaps_and_pops_nothing_old() {
    let mut office = Office::new();
    let token = office.add_desk("Anna", &["--sipgate-user", "w0"]);
    office.start_hub();
    let desk = office.watch("Anna", &token);
    assert_eq!(office.push(&ring("before", "492111000000", &["w0"])), 200);
    desk.wait_for("the first call", |l| !l.is_empty());

    desk.signal("-STOP");
    for i in 0..50 {
        let id = format!("away{i}");
        assert_eq!(
            office.push(&ring(&id, &format!("4921120000{i:02}"), &["w0"])),
            200
        );
        assert_eq!(office.push(&hangup(&id, "cancel")), 200);
    }
    // Asleep for longer than the desk lets a link stay silent.
    std::thread::sleep(Duration::from_secs(3));
    desk.signal("-CONT");

    let lines = desk.wait_for("the 50 calls missed while away", |l| {
        l.iter()
            .filter(|c| c["state"] == "missed" && c["remote"] != "492111000000")
            .count()
            >= 50
    });
    let seqs = seqs(&lines);
    assert!(
        strictly_increasing(&seqs),
        "no gap refilled twice, no duplicate: {seqs:?}"
    );
    let away: Vec<&Value> = lines.iter().skip(1).collect();
    assert!(
        away.iter()
            .all(|l| l["replayed"] == true && l["popup"] == false),
        "history never pops up: {away:?}"
    );
    let ids: std::collections::HashSet<i64> =
        away.iter().filter_map(|l| l["id"].as_i64()).collect();
    assert_eq!(ids.len(), 50, "one event per changed call (compacted)");
    desk.wait_err("the missed calls", |l| {
        l.contains("50 missed calls while you were away")
    });

    // Live again: the next call pops up.
    assert_eq!(office.push(&ring("back", "492111999999", &["w0"])), 200);
    let lines = desk.wait_for("the live call", |l| {
        l.last()
            .is_some_and(|c| c["replayed"] == false && c["state"] == "ringing")
    });
    assert_eq!(lines.last().expect("line")["popup"], true);
}

#[test]
fn a_hub_killed_and_restarted_loses_nothing_and_its_desks_resume() {
    let mut office = Office::new();
    let token = office.add_desk("Anna", &["--sipgate-user", "w0"]);
    office.start_hub();
    let desk = office.watch("Anna", &token);
    for i in 0..5 {
        let id = format!("k{i}");
        assert_eq!(
            office.push(&ring(&id, &format!("4921130000{i:02}"), &["w0"])),
            200
        );
        assert_eq!(office.push(&hangup(&id, "cancel")), 200);
    }
    office.kill_hub();
    desk.wait_err("the hub going away", |l| {
        l.contains("hub unreachable since")
    });
    office.start_hub();
    for i in 5..10 {
        let id = format!("k{i}");
        assert_eq!(
            office.push(&ring(&id, &format!("4921130000{i:02}"), &["w0"])),
            200
        );
        assert_eq!(office.push(&hangup(&id, "cancel")), 200);
    }
    let lines = desk.wait_for("all ten calls missed", |l| {
        let missed: std::collections::HashSet<i64> = l
            .iter()
            .filter(|c| c["state"] == "missed")
            .filter_map(|c| c["id"].as_i64())
            .collect();
        missed.len() == 10
    });
    assert!(strictly_increasing(&seqs(&lines)), "{:?}", seqs(&lines));
    let logged: Value = serde_json::from_str(&office.ok(&["calls", "--json"])).expect("calls JSON");
    assert_eq!(logged.as_array().expect("array").len(), 10);
}

#[test]
fn tokens_realms_revocation_and_a_cursor_past_the_history() {
    let mut office = Office::new();
    let anna = office.add_desk("Anna", &["--sipgate-user", "w0"]);
    let bob = office.add_desk("Bob", &[]);
    office.start_hub();
    let agent = office.agent();
    let hello = format!("{}/api/v1/hello", office.url());

    let no_token = agent.get(&hello).call().expect("answer");
    assert_eq!(no_token.status(), 401);
    let challenge = no_token
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    let forged = format!("{}x", &anna[..anna.len() - 1]);
    for token in [forged.as_str(), "kl1_1_", "nonsense"] {
        let status = agent
            .get(&hello)
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .expect("answer")
            .status();
        assert_eq!(status, 401, "{token}");
    }
    // Two realms: a sipgate credential is no desk token, a desk token is no push credential,
    // and nothing under /api/ is ever read as a push.
    let basic = agent
        .get(&hello)
        .header("Authorization", "Basic c2lwZ2F0ZTpzZWNyZXQ=")
        .call()
        .expect("answer");
    assert_eq!(basic.status(), 401);
    let push_with_token = agent
        .post(format!("{}/", office.url()))
        .header("Authorization", format!("Bearer {anna}"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(ring("t1", "492111234567", &["w0"]).as_str())
        .expect("answer");
    assert_eq!(push_with_token.status(), 401);
    let api_post = agent
        .post(format!("{}/api/sipgate", office.url()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(ring("t2", "492111234567", &["w0"]).as_str())
        .expect("answer");
    assert_eq!(api_post.status(), 404);
    assert_eq!(
        office.ok(&["calls", "--json"]).trim(),
        "[]",
        "no push got in"
    );

    // A cursor the hub's history does not reach: a snapshot, then live.
    std::fs::create_dir_all(office.cursor_file("Anna").parent().expect("dir")).expect("dir");
    std::fs::write(
        office.cursor_file("Anna"),
        format!("{{\"hub\":\"{}\",\"seq\":999999}}", office.url()),
    )
    .expect("cursor");
    let desk = office.watch("Anna", &anna);
    desk.wait_err("the resync", |l| l.contains("took a fresh snapshot"));
    assert_eq!(office.push(&ring("live", "492111234567", &["w0"])), 200);
    let lines = desk.wait_for("the live call", |l| !l.is_empty());
    assert_eq!(lines[0]["popup"], true);

    // Revoked: the next request gets 403, the open stream closes, the desk stops.
    let other = office.watch("Bob", &bob);
    let revoked_at = Instant::now();
    office.ok(&["desks", "revoke", "Bob"]);
    let mut other = other;
    let status = loop {
        if let Some(status) = other.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            revoked_at.elapsed() < Duration::from_secs(10),
            "a revoked desk's watch keeps running:\n{}",
            other.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success(), "revocation is an error for the desk");
    // The hub's tick reads revocations four times a second; the desk then notices its closed
    // stream and hears the 403 on its next hello.
    assert!(
        revoked_at.elapsed() < Duration::from_secs(3),
        "the stream closed {:?} after the revocation",
        revoked_at.elapsed()
    );
    other.wait_err("why it stopped", |l| l.contains("revoked"));
    let status = agent
        .get(&hello)
        .header("Authorization", format!("Bearer {bob}"))
        .call()
        .expect("answer")
        .status();
    assert_eq!(status, 403);

    let listed = office.ok(&["desks", "list", "--json"]);
    assert!(
        !listed.contains("kl1_") && !listed.contains("token"),
        "{listed}"
    );
    let desks: Value = serde_json::from_str(&listed).expect("desks JSON");
    let anna = desks
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["name"] == "Anna")
        .expect("Anna's desk");
    assert!(
        anna["last_seen_at"].is_string(),
        "seen when it connected: {anna}"
    );
    assert!(anna["revoked_at"].is_null());
    let unknown = office
        .klingeld("hub")
        .args(["desks", "revoke", "Nobody"])
        .output()
        .expect("runs");
    assert!(!unknown.status.success());
}

/// Runs `openssl s_client` against the hub for `name`; returns the served certificate's serial
/// once it verifies against `root`.
fn verified_serial(port: u16, name: &str, root: &Path) -> Option<String> {
    let mut handshake = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-servername", name, "-verify_return_error", "-CAfile"])
        .arg(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl must be installed (make test installs it)");
    let mut pem = String::new();
    std::io::Read::read_to_string(handshake.stdout.as_mut().expect("stdout"), &mut pem)
        .expect("read");
    let _ = handshake.wait();
    // A failed handshake prints "0 (ok)" too, having verified nothing: a certificate must be
    // in the output as well.
    if !pem.contains("Verify return code: 0 (ok)") || !pem.contains("BEGIN CERTIFICATE") {
        return None;
    }
    let mut x509 = Command::new("openssl")
        .args(["x509", "-noout", "-serial"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl x509");
    std::io::Write::write_all(x509.stdin.as_mut().expect("stdin"), pem.as_bytes()).expect("pem");
    let out = x509.wait_with_output().expect("serial");
    let serial = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!serial.is_empty()).then_some(serial)
}

/// Pebble (Let's Encrypt's test CA, from Debian) with its DNS stand-in, on free loopback ports.
struct Pebble {
    children: Vec<Child>,
    log: Arc<Mutex<Vec<String>>>,
    directory: String,
    management: u16,
}

impl Pebble {
    fn start(dir: &Path, ca: &Path, cert: &Path, key: &Path, tls_port: u16) -> Self {
        let (listen, management, http, dns, dns_management) = (
            free_port(),
            free_port(),
            free_port(),
            free_port(),
            free_port(),
        );
        let config = dir.join("pebble.json");
        std::fs::write(
            &config,
            serde_json::json!({"pebble": {
                "listenAddress": format!("127.0.0.1:{listen}"),
                "managementListenAddress": format!("127.0.0.1:{management}"),
                "certificate": cert, "privateKey": key,
                "httpPort": http, "tlsPort": tls_port,
                "ocspResponderURL": "", "externalAccountBindingRequired": false
            }})
            .to_string(),
        )
        .expect("pebble config");
        // DNS only, every name at 127.0.0.1 and no IPv6 answer (Pebble would try ::1).
        let dns_server = Command::new("pebble-challtestsrv")
            .args(["-dns01", &format!("127.0.0.1:{dns}")])
            .args(["-management", &format!("127.0.0.1:{dns_management}")])
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pebble-challtestsrv must be installed (make test installs pebble)");
        // Pebble's default nonce rejection stays on: the client must retry badNonce itself.
        let mut pebble = Command::new("pebble")
            .arg("-config")
            .arg(&config)
            .args(["-dnsserver", &format!("127.0.0.1:{dns}"), "-strict=false"])
            .env("PEBBLE_VA_NOSLEEP", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("pebble must be installed (make test installs it)");
        let log = collect(pebble.stdout.take().expect("stdout"));
        // Pebble logs to stderr; both streams go to one log.
        collect_into(pebble.stderr.take().expect("stderr"), log.clone());
        let this = Self {
            children: vec![dns_server, pebble],
            log,
            directory: format!("https://127.0.0.1:{listen}/dir"),
            management,
        };
        let agent = agent_trusting(ca);
        let started = Instant::now();
        while agent.get(&this.directory).call().is_err() {
            assert!(started.elapsed() < PATIENCE, "pebble never answered");
            std::thread::sleep(Duration::from_millis(100));
        }
        this
    }

    /// The root Pebble signs certificates with (new on every start of Pebble).
    fn root(&self, ca: &Path, into: &Path) {
        let pem = agent_trusting(ca)
            .get(format!("https://127.0.0.1:{}/roots/0", self.management))
            .call()
            .expect("roots")
            .body_mut()
            .read_to_string()
            .expect("root PEM");
        std::fs::write(into, pem).expect("write root");
    }

    /// How many certificates Pebble says it issued. Its log line may come a moment after the
    /// certificate reached the hub: wait (bounded) for at least one.
    fn issued(&self) -> usize {
        let count = || {
            self.log
                .lock()
                .expect("log")
                .iter()
                .filter(|l| l.contains("Issued certificate"))
                .count()
        };
        let started = Instant::now();
        while count() == 0 && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(50));
        }
        count()
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// An HTTPS client that trusts the CA in `ca` (and no other), answering any status.
fn agent_trusting(ca: &Path) -> ureq::Agent {
    let pem = std::fs::read(ca).expect("CA file");
    let ca = ureq::tls::Certificate::from_pem(&pem).expect("CA certificate");
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![ca])))
        .build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

#[test]
fn a_hub_gets_its_certificate_from_an_acme_ca_and_reuses_it_after_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (ca, cert, key) = test_ca(dir.path());
    let port = free_port();
    let pebble = Pebble::start(dir.path(), &ca, &cert, &key, port);
    let config = dir.path().join("klingel.toml");
    std::fs::write(
        &config,
        format!(
            "[listener]\naddress = \"127.0.0.1:{port}\"\n\n[listener.acme]\n\
             domain = \"hub.klingel.test\"\nemail = \"it@example.org\"\n\
             directory = {:?}\nca_file = {ca:?}\n\n[hub]\nenabled = true\n",
            pebble.directory
        ),
    )
    .expect("settings");
    let serve = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_klingeld"))
            .args(["serve"])
            .env("KLINGEL_DATA_DIR", dir.path().join("data"))
            .env("KLINGEL_CONFIG", &config)
            .env("HOME", dir.path())
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let log = collect(child.stderr.take().expect("stderr"));
        (child, log)
    };
    let root = dir.path().join("pebble-root.pem");
    let wait_for_certificate = |log: &Arc<Mutex<Vec<String>>>| {
        let started = Instant::now();
        loop {
            // Pebble's root is fetched once it exists; it stays for this Pebble's life.
            if !root.exists() {
                pebble.root(&ca, &root);
            }
            if let Some(serial) = verified_serial(port, "hub.klingel.test", &root) {
                return serial;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no certificate from the ACME CA; the hub said:\n{}",
                log.lock().expect("log").join("\n")
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    };

    let (mut hub, log) = serve();
    let first = wait_for_certificate(&log);
    // Pebble rejects some nonces on purpose; a step retried after one may order again, so the
    // first start may have been issued more than one certificate. What must hold is that a
    // restart orders none.
    let issued = pebble.issued();
    assert!(issued >= 1, "the certificate came from the ACME CA");
    let _ = hub.kill();
    let _ = hub.wait();

    let (mut hub, log) = serve();
    let second = wait_for_certificate(&log);
    assert_eq!(first, second, "the cached certificate is served again");
    assert_eq!(pebble.issued(), issued, "and no new one was ordered");
    assert!(
        log.lock()
            .expect("log")
            .iter()
            .any(|l| l.contains("DeployedCachedCert")),
        "the hub says it used its cache"
    );
    let _ = hub.kill();
    let _ = hub.wait();
}
