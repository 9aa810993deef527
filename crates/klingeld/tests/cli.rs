//! Runs the real `klingeld` binary against temp data dirs (and a real listener on loopback).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A klingeld with its own data dir and config file.
struct Klingeld {
    dir: tempfile::TempDir,
}

impl Klingeld {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("klingel.toml")
    }

    fn write_config(&self, text: &str) {
        std::fs::write(self.config(), text).expect("write config");
    }

    /// Configures the local test key as `public_key`, so what `simulate` signs counts as calls
    /// (as sipgate's pushes do), not as test calls.
    fn trust_test_key_for_calls(&self) {
        let key = klingel_core::sipgate::TestSigner::load_or_create(
            &self.dir.path().join("data").join("test-signing-key.pem"),
        )
        .expect("test key");
        self.write_config(&format!(
            "[listener]\npublic_key = \"\"\"\n{}\"\"\"\n",
            key.public_pem()
        ));
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_klingeld"));
        cmd.env("KLINGEL_DATA_DIR", self.dir.path().join("data"))
            .env("KLINGEL_CONFIG", self.config())
            .env("HOME", self.dir.path())
            // The CLI speaks the system language; the tests read English.
            .env("LC_ALL", "C.UTF-8")
            .env_remove("RUST_LOG");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("klingeld runs")
    }

    /// Runs and requires success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "klingeld {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Runs `args` until `check` finds what it looks for in the output (bounded: five seconds).
    fn eventually<T>(&self, args: &[&str], check: impl Fn(&str) -> Option<T>) -> T {
        let mut last = String::new();
        for _ in 0..50 {
            last = self.ok(args);
            if let Some(found) = check(&last) {
                return found;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("klingeld {args:?} never showed what was expected; last output:\n{last}");
    }

    /// `simulate` against `url` without waiting: an answered call, or with `--missed` one
    /// nobody takes; `extra` adds flags such as `--from`.
    fn simulate(&self, url: &str, extra: &[&str]) -> String {
        let mut args = vec![
            "simulate",
            "--url",
            url,
            "--ring-secs",
            "0",
            "--talk-secs",
            "0",
        ];
        args.extend_from_slice(extra);
        self.ok(&args)
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).expect("valid JSON output")
    }

    /// Starts `serve` on a free loopback port and waits until it listens.
    fn serve(&self, extra: &[&str]) -> Server {
        self.serve_to(extra, Stdio::piped())
    }

    /// Like [`Klingeld::serve`], with its stdout (one line per call update) going to `stdout`.
    fn serve_to(&self, extra: &[&str], stdout: Stdio) -> Server {
        self.serve_on("127.0.0.1:0", extra, stdout)
    }

    /// Starts `serve` on `listen` and waits until it listens; keeps all it logs on stderr.
    fn serve_on(&self, listen: &str, extra: &[&str], stdout: Stdio) -> Server {
        let mut child = self
            .command()
            .args(["serve", "--listen", listen])
            .args(extra)
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        let log = std::thread::spawn(move || {
            let mut log = String::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let _ = tx.send(rest.trim().to_string());
                }
                log.push_str(&line);
                log.push('\n');
            }
            log
        });
        let url = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("serve reports its address");
        Server {
            child,
            url,
            log: Some(log),
        }
    }
}

struct Server {
    child: Child,
    url: String,
    /// The thread reading stderr; it returns all of it once serve has exited.
    log: Option<std::thread::JoinHandle<String>>,
}

impl Server {
    /// Stops with SIGTERM like a service manager would, and returns what it printed.
    fn stop(mut self) -> String {
        self.terminate()
    }

    /// Stops like [`Server::stop`] and returns what it logged on stderr instead.
    fn stop_for_log(mut self) -> String {
        self.terminate();
        self.log
            .take()
            .expect("read once")
            .join()
            .expect("stderr reader")
    }

    fn terminate(&mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(15) {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "serve exits cleanly on SIGTERM: {status}");
                let mut out = String::new();
                if let Some(mut stdout) = self.child.stdout.take() {
                    std::io::Read::read_to_string(&mut stdout, &mut out).expect("stdout");
                }
                return out;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("serve did not stop on SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_warns_on_stderr_about_what_leaves_the_listener_open() {
    const OPEN: &str = "reachable beyond this computer without Basic auth";
    const UNSIGNED: &str = "the signature check is off";
    let warned = |log: &str, what: &str| {
        log.lines()
            .any(|line| line.contains("WARN") && line.contains(what))
    };
    let k = Klingeld::new();

    let log = k
        .serve_on("0.0.0.0:0", &["--no-verify-signature"], Stdio::null())
        .stop_for_log();
    assert!(warned(&log, OPEN), "no Basic auth on all addresses:\n{log}");
    assert!(warned(&log, UNSIGNED), "signatures unchecked:\n{log}");

    let log = k.serve_on("127.0.0.1:0", &[], Stdio::null()).stop_for_log();
    assert!(
        !warned(&log, OPEN) && !warned(&log, UNSIGNED),
        "loopback with the check on leaves nothing open:\n{log}"
    );
}

#[test]
fn klingel_s_own_data_dir_is_tightened_and_a_given_one_only_warned_about() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |path: &Path| {
        std::fs::metadata(path)
            .expect("exists")
            .permissions()
            .mode()
            & 0o777
    };
    let chmod = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    let k = Klingeld::new();
    // The platform's default data dir, under this test's own XDG directory.
    let xdg_data = k.dir.path().join("xdg-data");
    let own = xdg_data.join("klingel");
    std::fs::create_dir_all(&own).expect("dir");
    chmod(&own, 0o755);
    let key = own.join("test-signing-key.pem");
    klingel_core::sipgate::TestSigner::load_or_create(&key).expect("test key");
    chmod(&key, 0o644);
    let out = k
        .command()
        .env_remove("KLINGEL_DATA_DIR")
        .env("XDG_DATA_HOME", &xdg_data)
        .args(["contacts", "list"])
        .output()
        .expect("klingeld runs");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert_eq!(mode(&own), 0o700, "Klingel's own data dir:\n{log}");
    assert_eq!(mode(&key), 0o600, "the signing key");
    assert!(
        log.contains(&format!(
            "{} could be listed by others (755); now only by its owner",
            own.display()
        )),
        "the change is logged:\n{log}"
    );

    // A data dir given by variable may be shared: it keeps its mode, with a warning.
    let given = k.dir.path().join("data");
    std::fs::create_dir_all(&given).expect("dir");
    chmod(&given, 0o755);
    let out = k.run(&["contacts", "list"]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert_eq!(mode(&given), 0o755, "a given data dir is not changed");
    assert!(
        log.contains("can be listed by others (755)"),
        "but warned about:\n{log}"
    );
}

#[test]
fn every_command_has_help() {
    let k = Klingeld::new();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["contacts", "--help"],
        vec!["contacts", "add", "--help"],
        vec!["contacts", "list", "--help"],
        vec!["contacts", "edit", "--help"],
        vec!["contacts", "remove", "--help"],
        vec!["lookup", "--help"],
        vec!["calls", "--help"],
        vec!["calls", "seen", "--help"],
        vec!["requests", "--help"],
        vec!["simulate", "--help"],
        vec!["account", "--help"],
        vec!["account", "connect", "--help"],
        vec!["account", "webhooks", "set", "--help"],
        vec!["dial", "--help"],
    ] {
        let out = k.ok(&args);
        assert!(out.contains("Usage:"), "{args:?} prints usage: {out}");
    }
}

#[test]
fn contacts_can_be_added_listed_edited_looked_up_and_removed() {
    let k = Klingeld::new();
    let added = k.json(&[
        "contacts",
        "add",
        "--name",
        "Alice Example",
        "--company",
        "ACME GmbH",
        "--number",
        "work=0211 1234567",
        "--switchboard",
        "0211 98765-0",
        "--json",
    ]);
    let id = added["id"].as_i64().expect("id");
    assert_eq!(added["numbers"][0]["e164"], "+492111234567");
    assert_eq!(added["numbers"][0]["label"], "work");
    assert_eq!(added["numbers"][1]["switchboard"], true);

    let listed = k.json(&["contacts", "list", "--search", "acme", "--json"]);
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(1),
        "search by company, any case"
    );

    let hit = k.json(&["lookup", "+49 (0)211 123 45-67", "--json"]);
    assert_eq!(hit["match"]["contact"]["name"], "Alice Example");
    assert_eq!(hit["match"]["kind"]["kind"], "exact");
    let extension = k.json(&["lookup", "0211 98765-42", "--json"]);
    assert_eq!(
        extension["match"]["kind"]["kind"], "switchboard",
        "extensions reach the switchboard"
    );
    let miss = k.ok(&["lookup", "030 555"]);
    assert!(
        miss.contains("no contact: tried +4930555"),
        "a miss says what was tried: {miss}"
    );

    let id_text = id.to_string();
    let edited = k.json(&[
        "contacts",
        "edit",
        &id_text,
        "--name",
        "Alice Beispiel",
        "--add-number",
        "mobile=0171 2345678",
        "--remove-number",
        "+492111234567",
        "--blocked",
        "--json",
    ]);
    assert_eq!(edited["name"], "Alice Beispiel");
    assert_eq!(edited["blocked"], true);
    let numbers: Vec<&str> = edited["numbers"]
        .as_array()
        .expect("numbers")
        .iter()
        .filter_map(|n| n["e164"].as_str())
        .collect();
    assert_eq!(
        numbers,
        vec!["+49211987650", "+491712345678"],
        "removed one, kept one, added one"
    );

    k.ok(&["contacts", "remove", &id_text]);
    assert_eq!(
        k.json(&["contacts", "list", "--json"]),
        Value::Array(vec![])
    );
    let again = k.run(&["contacts", "remove", &id_text]);
    assert!(!again.status.success(), "removing twice is an error");
    assert!(String::from_utf8_lossy(&again.stderr).contains(&format!("no contact with id {id}")));
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    let k = Klingeld::new();
    let none = k.run(&["contacts", "add", "--name", "No Number"]);
    assert!(!none.status.success());
    assert!(
        String::from_utf8_lossy(&none.stderr).contains("at least one"),
        "{none:?}"
    );
    let bad = k.run(&[
        "contacts",
        "add",
        "--name",
        "Bad",
        "--number",
        "call me maybe",
    ]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("call me maybe"),
        "the error names the input"
    );
    assert!(
        k.json(&["contacts", "list", "--json"])
            .as_array()
            .is_some_and(Vec::is_empty),
        "nothing stored"
    );
}

#[test]
fn broken_config_is_an_error_naming_the_line() {
    let k = Klingeld::new();
    k.write_config("[listener]\naddress = \"127.0.0.1:8080\"\nverify_signature = perhaps\n");
    let out = k.run(&["calls"]);
    assert!(!out.status.success(), "a broken config must not be ignored");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3"), "the error names the line: {err}");
}

#[test]
fn global_flags_work_after_the_subcommand() {
    let k = Klingeld::new();
    let other = k.dir.path().join("elsewhere");
    let other = other.to_str().expect("utf-8 path");
    let out = Command::new(env!("CARGO_BIN_EXE_klingeld"))
        .args([
            "contacts",
            "add",
            "--name",
            "X",
            "--number",
            "030 1234567",
            "--data-dir",
            other,
        ])
        .env_remove("KLINGEL_DATA_DIR")
        .env("KLINGEL_CONFIG", k.config())
        .output()
        .expect("runs");
    assert!(out.status.success(), "{out:?}");
    assert!(
        Path::new(other).join("klingel.sqlite3").exists(),
        "--data-dir after the subcommand is honoured"
    );
}

#[test]
fn simulated_call_shows_up_in_the_log_with_the_contacts_name() {
    let k = Klingeld::new();
    k.ok(&[
        "contacts",
        "add",
        "--name",
        "Alice Example",
        "--company",
        "ACME GmbH",
        "--number",
        "030 12345678",
    ]);
    k.trust_test_key_for_calls();
    let server = k.serve(&[]);
    let out = k.simulate(&server.url, &["--from", "030 12345678"]);
    assert!(
        out.contains("newCall: 200") && out.contains("answer: 200") && out.contains("hangup: 200"),
        "{out}"
    );
    let missed = k.simulate(&server.url, &["--from", "+44 20 7946 0958", "--missed"]);
    assert!(
        missed.contains("nobody answered") && !missed.contains("test call"),
        "{missed}"
    );

    let calls = k.json(&["calls", "--json"]);
    let calls = calls.as_array().expect("array");
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(
        calls[1]["contact"]["contact"]["name"], "Alice Example",
        "the caller is named from the contact book"
    );
    assert_eq!(calls[1]["state"], "ended");
    assert_eq!(calls[1]["answeredBy"], "Klingel Test");
    assert_eq!(calls[0]["state"], "missed");
    assert_eq!(
        calls[1]["outcome"]["code"], "answered",
        "each call carries its outcome code"
    );
    assert_eq!(calls[1]["outcome"]["by"], "Klingel Test");
    assert_eq!(calls[0]["outcome"]["code"], "missed");
    assert_eq!(calls[0]["outcome"]["unseen"], true);
    assert_eq!(calls[1]["party"]["kind"], "contact");
    assert_eq!(
        calls[0]["remoteDisplay"], "+44 20 7946 0958",
        "foreign numbers are shown internationally"
    );

    let text = k.ok(&["calls"]);
    assert!(
        text.contains("Alice Example (ACME GmbH) · 030 12345678"),
        "{text}"
    );
    assert!(text.contains("1 missed call(s) not yet seen"), "{text}");
    assert!(
        text.contains("answered by Klingel Test") && text.contains("missed [new]"),
        "the outcome in the window's words: {text}"
    );
    let found = k.ok(&["calls", "--search", "acme"]);
    assert!(
        found.contains("Alice Example") && !found.contains("+44"),
        "search finds by company, as the window does: {found}"
    );
    let by_number = k.ok(&["calls", "--search", "020 7946"]);
    assert!(
        by_number.contains("+44 20 7946 0958") && !by_number.contains("Alice"),
        "and by digits: {by_number}"
    );
    let nothing = k.ok(&["calls", "--search", "nobody by this name"]);
    assert!(nothing.contains("no calls found"), "{nothing}");
    let newest = calls[0]["id"].to_string();
    let older = k.json(&["calls", "--json", "--before", &newest]);
    assert_eq!(
        older
            .as_array()
            .map(|page| page.iter().map(|c| c["id"].clone()).collect::<Vec<_>>()),
        Some(vec![calls[1]["id"].clone()]),
        "--before pages on past a call"
    );
    assert!(k.ok(&["calls", "seen", "--all"]).contains("marked 1"));
    assert!(!k.ok(&["calls"]).contains("not yet seen"));

    let requests = k.ok(&["requests"]);
    assert!(
        requests.contains("signature=ok (configured key)"),
        "the configured key verified: {requests}"
    );

    let log = server.stop();
    assert!(
        log.contains("Alice Example") && log.contains("[newCall]") && log.contains("[hangup]"),
        "one line per update: {log}"
    );
}

#[test]
fn simulated_calls_are_test_calls_unless_test_calls_are_refused() {
    let k = Klingeld::new();
    let server = k.serve(&[]);
    k.simulate(&server.url, &["--from", "+44 20 7946 0958", "--missed"]);
    assert!(
        k.simulate(&server.url, &[]).contains("a test call"),
        "simulate says what it sent"
    );
    let calls = k.json(&["calls", "--json"]);
    // Newest first: the answered call, then the one nobody took.
    assert_eq!(calls[0]["test"], true, "{calls}");
    assert_eq!(calls[1]["test"], true, "{calls}");
    assert_eq!(
        calls[1]["outcome"]["code"], "not_answered",
        "a test call is never missed"
    );
    assert_eq!(calls[1]["outcome"]["unseen"], false);
    let text = k.ok(&["calls"]);
    assert!(
        text.contains("[Test]") && !text.contains("not yet seen"),
        "{text}"
    );
    assert!(k
        .ok(&["requests"])
        .contains("signature=ok (local test key)"));
    server.stop();

    k.write_config("[listener]\naccept_test_calls = false\n");
    let server = k.serve(&[]);
    let out = k.run(&["simulate", "--url", &server.url, "--ring-secs", "0"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("test signature not accepted"),
        "refused with the reason: {stderr}"
    );
    assert_eq!(
        k.json(&["calls", "--json"]).as_array().map(Vec::len),
        Some(2),
        "nothing stored for the refused push"
    );
    k.eventually(&["requests"], |out| {
        out.contains("signature=test key refused (local test key)")
            .then_some(())
    });
    server.stop();

    assert!(k
        .ok(&["calls", "remove-tests"])
        .contains("removed 2 test call(s)"));
    assert_eq!(
        k.json(&["calls", "--json"]).as_array().map(Vec::len),
        Some(0),
        "test calls leave the log on request"
    );
}

#[test]
fn simulate_answers_a_basic_auth_challenge_like_sipgate() {
    let k = Klingeld::new();
    k.write_config("[listener]\nusername = \"sipgate\"\npassword = \"pa ss:word\"\n");
    let server = k.serve(&[]);
    let out = k.simulate(&server.url, &[]);
    assert!(
        out.contains("hangup: 200"),
        "credentials from the config pass the challenge: {out}"
    );
    // Refused requests are recorded a moment after their answer.
    let auth = k.eventually(&["requests", "--json"], |out| {
        let requests: Value = serde_json::from_str(out).ok()?;
        let mut auth: Vec<String> = requests
            .as_array()?
            .iter()
            .filter_map(|r| r["auth"].as_str().map(str::to_string))
            .collect();
        auth.sort();
        (auth.len() == 6).then_some(auth)
    });
    assert_eq!(
        auth,
        vec!["missing", "missing", "missing", "ok", "ok", "ok"],
        "each push: challenge, then success"
    );
    server.stop();
}

#[test]
fn simulate_reports_a_refused_signature() {
    let k = Klingeld::new();
    let server = k.serve(&[]);
    // A different data dir has a different local key, which this listener does not trust.
    let stranger = Klingeld::new();
    let out = stranger.run(&["simulate", "--url", &server.url, "--ring-secs", "0"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("403") && err.contains("signature"), "{err}");
    server.stop();
}

fn fixture(name: &str) -> String {
    format!(
        "{}/../klingel-core/tests/fixtures/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn an_outlook_export_imports_and_names_the_next_caller() {
    let k = Klingeld::new();
    let dry = k.ok(&[
        "contacts",
        "import",
        &fixture("outlook-de-1252.csv"),
        "--dry-run",
    ]);
    assert!(
        dry.contains("dry run") && dry.contains("OutlookGerman") && dry.contains("Windows-1252"),
        "{dry}"
    );
    assert_eq!(
        k.json(&["contacts", "list", "--json"]),
        Value::Array(vec![]),
        "a dry run writes nothing"
    );

    let out = k.ok(&["contacts", "import", &fixture("outlook-de-1252.csv")]);
    assert!(out.contains("created 4"), "{out}");
    assert!(
        out.contains("skipped"),
        "rows without name and number are reported: {out}"
    );
    let hit = k.json(&["lookup", "492111234567", "--json"]);
    assert_eq!(
        hit["match"]["contact"]["name"], "Jörg Müller",
        "umlauts from Windows-1252 survive"
    );
    assert_eq!(hit["match"]["contact"]["company"], "Müller & Söhne GmbH");

    // The same people again from a vCard: merged, not duplicated.
    let vcf = k.ok(&["contacts", "import", &fixture("outlook-2.1.vcf")]);
    assert!(vcf.contains("updated"), "{vcf}");
    let all = k.json(&["contacts", "list", "--search", "müller", "--json"]);
    assert_eq!(
        all.as_array().map(Vec::len),
        Some(1),
        "one Jörg Müller after both imports: {all}"
    );
}

#[test]
fn a_broken_file_names_the_place_and_writes_nothing() {
    let k = Klingeld::new();
    let out = k.run(&["contacts", "import", &fixture("broken.vcf")]);
    assert!(!out.status.success(), "a broken file is an error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("card 4") && err.contains("nothing written"),
        "{err}"
    );
    assert_eq!(
        k.json(&["contacts", "list", "--json"]),
        Value::Array(vec![]),
        "not even the good cards before it"
    );
}

#[test]
fn a_spreadsheet_imports_with_an_explicit_mapping() {
    let k = Klingeld::new();
    let out = k.ok(&[
        "contacts",
        "import",
        &fixture("generic-mapping.csv"),
        "--map",
        "Kunde=company",
        "--map",
        "Ansprechpartner=name",
        "--map",
        "Tel.=phone:work",
        "--map",
        "Handy=phone:mobile",
        "--map",
        "Kundennummer=ignore",
        "--json",
    ]);
    let report: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(report["report"]["created"], 3, "{report}");
    let hit = k.json(&["lookup", "0172 1122334", "--json"]);
    assert_eq!(hit["match"]["contact"]["name"], "Karl Lehmann");
    assert_eq!(hit["match"]["contact"]["company"], "Autohaus Lehmann GmbH");
    assert_eq!(
        hit["match"]["number"]["label"], "mobile",
        "a mobile column is stored as the code the window words"
    );
    let bad = k.run(&[
        "contacts",
        "import",
        &fixture("generic-mapping.csv"),
        "--map",
        "Kunde=colour",
    ]);
    assert!(!bad.status.success(), "an unknown field is refused");
}

#[test]
fn contacts_and_calls_export_to_files_that_read_back() {
    let k = Klingeld::new();
    k.ok(&["contacts", "import", &fixture("apple-google-3.0.vcf")]);
    let before = k.json(&["contacts", "list", "--json"]);
    for name in ["out.vcf", "out.csv"] {
        let path = k.dir.path().join(name);
        let path = path.to_str().expect("utf-8");
        assert!(k.ok(&["contacts", "export", path]).contains("exported"));
        let other = Klingeld::new();
        other.ok(&["contacts", "import", path]);
        let strip = |v: &Value| -> Vec<(Value, Value, Value)> {
            v.as_array()
                .expect("array")
                .iter()
                .map(|c| {
                    let numbers: Vec<Value> = c["numbers"]
                        .as_array()
                        .expect("numbers")
                        .iter()
                        .map(|n| n["e164"].clone())
                        .collect();
                    (
                        c["name"].clone(),
                        c["company"].clone(),
                        Value::Array(numbers),
                    )
                })
                .collect()
        };
        assert_eq!(
            strip(&other.json(&["contacts", "list", "--json"])),
            strip(&before),
            "{name} round trip"
        );
    }
    let calls = k.dir.path().join("calls.csv");
    let calls = calls.to_str().expect("utf-8");
    assert!(k
        .ok(&["calls", "export", calls])
        .contains("exported 0 calls"));
    let text = std::fs::read_to_string(calls).expect("calls csv");
    assert!(
        text.starts_with("Time,Direction,Caller,Number,Outcome,Answered by,Duration"),
        "{text}"
    );
}

#[test]
fn a_closed_stdout_ends_a_command_quietly() {
    let k = Klingeld::new();
    k.ok(&[
        "contacts",
        "add",
        "--name",
        "Alice",
        "--number",
        "030 12345678",
    ]);
    // The reader is gone before klingeld writes a byte, as with `klingeld contacts list | head -0`.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = k
        .command()
        .args(["contacts", "list"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("klingeld runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "a closed pipe is no failure: {err}");
    assert!(!err.contains("panicked"), "and no panic: {err}");
}

/// Load for a listener at `url`: `senders` threads, each posting up to `max` distinct newCall
/// pushes (callers `{prefix}{sender}{i:05}`) over one kept-alive connection until `stop` is
/// set or `answered` returns false. `answered` hears each caller and its status (`None`: no
/// answer at all).
fn push_load(
    url: &str,
    senders: usize,
    max: usize,
    prefix: &str,
    timeout: Duration,
    stop: &std::sync::Arc<std::sync::atomic::AtomicBool>,
    answered: impl Fn(&str, Option<u16>, Duration) -> bool + Send + Clone + 'static,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..senders)
        .map(|sender| {
            let (url, prefix, stop, answered) =
                (url.to_string(), prefix.to_string(), stop.clone(), answered.clone());
            std::thread::spawn(move || {
                let agent = ureq::Agent::config_builder()
                    .timeout_global(Some(timeout))
                    .http_status_as_error(false)
                    .build()
                    .new_agent();
                for i in 0..max {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        return;
                    }
                    let from = format!("{prefix}{sender}{i:05}");
                    let body = format!(
                        "event=newCall&direction=in&from={from}&to=4921155500000&callId={prefix}-{sender}-{i}&user%5B%5D=A"
                    );
                    let sent = Instant::now();
                    let status = agent
                        .post(&url)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .send(&body)
                        .map(|r| r.status().as_u16())
                        .ok();
                    if !answered(&from, status, sent.elapsed()) {
                        return;
                    }
                }
            })
        })
        .collect()
}

#[test]
fn a_killed_listener_loses_no_acknowledged_push() {
    use std::collections::HashSet;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    let k = Klingeld::new();
    let mut server = k.serve_to(&["--no-verify-signature"], Stdio::null());
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let senders = {
        let acked = acked.clone();
        // Bounded: at most 2,000 pushes a connection, and only until the kill.
        push_load(
            &server.url,
            8,
            2_000,
            "49301",
            Duration::from_secs(5),
            &stop,
            move |from, status, _| {
                if status == Some(200) {
                    acked.lock().expect("lock").push(format!("+{from}"));
                    true
                } else {
                    // The kill: what was not acknowledged may be lost.
                    false
                }
            },
        )
    };
    std::thread::sleep(Duration::from_millis(1500));
    server.child.kill().expect("SIGKILL");
    stop.store(true, Ordering::Relaxed);
    for sender in senders {
        sender.join().expect("sender");
    }
    let _ = server.child.wait();
    let acked = acked.lock().expect("lock").clone();
    assert!(
        acked.len() >= 50,
        "the listener was under load: {}",
        acked.len()
    );

    let database = k.dir.path().join("data").join("klingel.sqlite3");
    let check: String = rusqlite::Connection::open(&database)
        .expect("the database opens after the kill")
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity check");
    assert_eq!(check, "ok");
    let calls = k.json(&["calls", "--json", "--limit", "100000"]);
    let stored: HashSet<&str> = calls
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|call| call["remoteE164"].as_str())
        .collect();
    let lost: Vec<&String> = acked
        .iter()
        .filter(|e164| !stored.contains(e164.as_str()))
        .collect();
    eprintln!("{} pushes acknowledged before the kill", acked.len());
    assert!(
        lost.is_empty(),
        "every push answered 200 is stored ({} acknowledged, {} lost: {:?})",
        acked.len(),
        lost.len(),
        &lost[..lost.len().min(5)]
    );
}

#[test]
fn pushes_meet_an_import_and_cli_writes_without_a_single_5xx() {
    use std::io::Write as _;
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    use std::sync::Arc;

    // 20,000 keeps `make test` quick; the acceptance size is 200,000, run on demand.
    let contacts: usize = std::env::var("KLINGEL_CONTENTION_CONTACTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    // Enough pushes to last a bigger import, still bounded.
    let per_sender = 5_000 * (contacts / 20_000).max(1);
    let k = Klingeld::new();
    let vcf = k.dir.path().join("book.vcf");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&vcf).expect("vcf"));
    for i in 0..contacts {
        write!(
            file,
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Kontakt {i}\r\nORG:Firma {}\r\nTEL;TYPE=WORK:+49 30 7{i:07}\r\nEND:VCARD\r\n",
            i % 300
        )
        .expect("write vcf");
    }
    file.flush().expect("flush");
    drop(file);

    let server = k.serve(&["--no-verify-signature"]);
    let stop = Arc::new(AtomicBool::new(false));
    let (accepted, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (server_errors, slowest_ms) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicU64::new(0)));
    let senders = {
        let (accepted, failed, server_errors, slowest_ms) = (
            accepted.clone(),
            failed.clone(),
            server_errors.clone(),
            slowest_ms.clone(),
        );
        // Bounded: a fixed number of pushes a connection, and only while the writes run.
        push_load(
            &server.url,
            4,
            per_sender,
            "4940",
            Duration::from_secs(15),
            &stop,
            move |_, status, took| {
                if status == Some(200) {
                    accepted.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
                if status.is_some_and(|s| s >= 500) {
                    server_errors.fetch_add(1, Ordering::Relaxed);
                }
                let ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
                slowest_ms.fetch_max(ms, Ordering::Relaxed);
                true
            },
        )
    };
    let import_started = Instant::now();

    let import = k
        .command()
        .args(["contacts", "import", vcf.to_str().expect("path")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("import starts");
    // Each add's failure is kept, not raised at once, so the figures below are printed first.
    let adds: Vec<Output> = (0..20)
        .map(|i| {
            let number = format!("0211 99{i:04}");
            let name = format!("Neu {i}");
            k.run(&["contacts", "add", "--name", &name, "--number", &number])
        })
        .collect();
    let imported = import.wait_with_output().expect("import ends");
    let import_took = import_started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for sender in senders {
        sender.join().expect("sender");
    }
    let report = String::from_utf8_lossy(&imported.stdout);
    let (accepted, failed, server_errors) = (
        accepted.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        server_errors.load(Ordering::Relaxed),
    );
    let failed_adds: Vec<String> = adds
        .iter()
        .filter(|out| !out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stderr).trim().to_string())
        .collect();
    eprintln!(
        "{contacts} contacts: import {} in {:.1} s ({}); {} pushes answered, {failed} not 200 \
         ({server_errors} 5xx), slowest {} ms; {} of 20 contact adds failed",
        if imported.status.success() {
            "done"
        } else {
            "FAILED"
        },
        import_took.as_secs_f64(),
        report.trim(),
        accepted + failed,
        slowest_ms.load(Ordering::Relaxed),
        failed_adds.len()
    );
    assert!(
        imported.status.success(),
        "the import does not fail on contention: {}",
        String::from_utf8_lossy(&imported.stderr)
    );
    assert!(
        failed_adds.is_empty(),
        "a CLI write waits for the import: {failed_adds:?}"
    );
    assert!(report.contains(&format!("created {contacts}")));
    assert_eq!(failed, 0, "no push failed ({accepted} accepted)");
    assert!(accepted > 0, "pushes ran alongside the writes");
    let calls = k.json(&["calls", "--json", "--limit", "1000000"]);
    assert_eq!(
        calls.as_array().map(Vec::len),
        Some(accepted),
        "every acknowledged push is a call"
    );
    let listed = k.json(&["contacts", "list", "--json"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(contacts + 20));
    server.stop();
}

#[test]
fn a_number_of_another_contact_is_refused_with_one_line() {
    let k = Klingeld::new();
    k.ok(&[
        "contacts",
        "add",
        "--name",
        "Alice",
        "--number",
        "0211 1234567",
    ]);
    let out = k.run(&[
        "contacts",
        "add",
        "--name",
        "Test Person",
        "--number",
        "+49 211 1234567",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("already belongs to Alice"), "{stderr}");
    assert_eq!(
        k.json(&["contacts", "list", "--json"])
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert!(k
        .ok(&["contacts", "duplicates"])
        .contains("every number belongs to one contact"));
    assert_eq!(
        k.json(&["contacts", "duplicates", "--json"]),
        serde_json::json!([])
    );
}

#[test]
fn a_stranger_is_blocked_on_the_blocklist_and_a_contact_through_its_mark() {
    let k = Klingeld::new();
    k.ok(&[
        "contacts",
        "add",
        "--name",
        "Known",
        "--number",
        "030 111111",
    ]);
    assert!(k
        .ok(&["block", "030 111111"])
        .contains("blocked contact #1 Known"));
    assert!(k
        .ok(&["block", "+49 40 222222"])
        .contains("on the blocklist"));
    assert_eq!(
        k.json(&["contacts", "list", "--json"])
            .as_array()
            .map(Vec::len),
        Some(1),
        "no contact invented for the stranger"
    );
    let listed = k.ok(&["blocked"]);
    assert!(
        listed.contains("040 222222") && listed.contains("030 111111  (contact Known)"),
        "{listed}"
    );
    let json = k.json(&["blocked", "--json"]);
    assert_eq!(json.as_array().map(Vec::len), Some(2), "{json}");
    assert!(k.ok(&["unblock", "040 222222"]).contains("unblocked"));
    assert!(k.ok(&["unblock", "040 222222"]).contains("was not blocked"));
    let out = k.run(&["block", "call me"]);
    assert_eq!(out.status.code(), Some(1), "a non-number is an error");
}
