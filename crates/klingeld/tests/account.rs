//! `klingeld account` against a fake sipgate API on loopback.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

#[allow(dead_code)]
#[path = "../../klingel-core/tests/it/fake_sipgate.rs"]
mod fake_sipgate;

use fake_sipgate::{FakeSipgate, TOKEN, TOKEN_ID};

struct Klingeld {
    dir: tempfile::TempDir,
}

impl Klingeld {
    fn command(&self) -> Command {
        self.command_for(env!("CARGO_BIN_EXE_klingeld"))
    }

    /// `program` in klingeld's environment (its data dir, settings and home).
    fn command_for(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("KLINGEL_DATA_DIR", self.dir.path().join("data"))
            .env("KLINGEL_CONFIG", self.dir.path().join("klingel.toml"))
            .env("HOME", self.dir.path())
            .env("LC_ALL", "C.UTF-8")
            .env_remove("RUST_LOG")
            // Never the developer's own keyring: a test that wants one brings its own bus.
            .env_remove("DBUS_SESSION_BUS_ADDRESS");
        cmd
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("klingeld runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("klingeld ends")
    }

    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

#[test]
fn an_account_connects_with_the_token_from_stdin_and_points_its_webhooks_here() {
    let fake = FakeSipgate::start();
    let k = Klingeld {
        dir: tempfile::tempdir().expect("temp dir"),
    };
    std::fs::write(
        k.dir.path().join("klingel.toml"),
        format!(
            "[listener]\npublic_url = \"https://klingel.example/\"\nusername = \"sipgate\"\npassword = \"s3cret\"\n\n[sipgate]\napi_url = \"{}\"\n",
            fake.api_url
        ),
    )
    .expect("config");

    let refused = k.run(&["account", "connect", "--token-id", TOKEN_ID], "wrong\n");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("401") && stderr.contains("nothing saved"),
        "{stderr}"
    );

    let connected = k.ok(
        &["account", "connect", "--token-id", TOKEN_ID],
        &format!("{TOKEN}\n"),
    );
    assert!(
        connected.contains("connected as Max Muster (w1), Test GmbH"),
        "{connected}"
    );
    assert!(
        connected.contains("do not point at this Klingel"),
        "{connected}"
    );

    let status: Value =
        serde_json::from_str(&k.ok(&["account", "status", "--json"], "")).expect("JSON");
    assert_eq!(status["connected"], true);
    assert_eq!(status["tokenId"], TOKEN_ID);
    assert_eq!(status["userName"], "Max Muster");
    assert_eq!(status["counts"]["numbers"], 3);
    assert!(
        !status.to_string().contains(TOKEN),
        "the secret is never printed"
    );

    let http = k.run(
        &[
            "account",
            "webhooks",
            "set",
            "--url",
            "http://klingel.example/",
        ],
        "",
    );
    assert!(!http.status.success());
    assert!(String::from_utf8_lossy(&http.stderr).contains("https://"));

    let set = k.ok(&["account", "webhooks", "set"], "");
    assert!(set.contains("point at this Klingel"), "{set}");
    assert!(
        !set.contains("s3cret"),
        "the listener's password is masked: {set}"
    );
    assert_eq!(
        fake.state().settings["incomingUrl"],
        "https://sipgate:s3cret@klingel.example/",
        "sipgate gets the URL with the credentials"
    );

    let dialed: Value =
        serde_json::from_str(&k.ok(&["dial", "0211 5550", "--json"], "")).expect("JSON");
    assert_eq!(dialed["device"], "e1");
    assert_eq!(dialed["callee"], "+492115550");
    let human = k.ok(&["dial", "+49 30 1234", "--device", "y2"], "");
    assert!(human.contains("y2 rings first"), "{human}");

    // With the account, a desk's users can be named as people know them.
    let desk = k.ok(
        &["desks", "add", "Empfang", "--sipgate-user", "max muster"],
        "",
    );
    assert!(desk.contains("calls for w1 pop up there"), "{desk}");
    let unknown = k.run(&["desks", "add", "Lager", "--sipgate-user", "Erika"], "");
    assert!(!unknown.status.success());
    let said = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        said.contains("Max Muster (w1)"),
        "the account's users are listed: {said}"
    );

    let reconciled = k.ok(&["account", "reconcile"], "");
    assert!(
        reconciled.contains("0 calls in sipgate's history: 0 repaired, 0 added"),
        "{reconciled}"
    );
    assert!(fake.requests().contains(&"GET /history".to_string()));

    let cleared = k.ok(&["account", "webhooks", "clear"], "");
    assert!(cleared.contains("incoming: (none)"), "{cleared}");

    k.ok(&["account", "disconnect"], "");
    let after: Value =
        serde_json::from_str(&k.ok(&["account", "status", "--json"], "")).expect("JSON");
    assert_eq!(after["connected"], false);
}

/// Every file under `dir` whose bytes contain `secret`.
fn files_holding(dir: &std::path::Path, secret: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_holding(&path, secret));
        } else if std::fs::read(&path)
            .is_ok_and(|bytes| String::from_utf8_lossy(&bytes).contains(secret))
        {
            found.push(path);
        }
    }
    found
}

#[test]
fn with_a_keyring_on_the_session_bus_the_token_lives_there_and_in_no_file() {
    let fake = FakeSipgate::start();
    let k = Klingeld {
        dir: tempfile::tempdir().expect("temp dir"),
    };
    std::fs::write(
        k.dir.path().join("klingel.toml"),
        format!("[sipgate]\napi_url = \"{}\"\n", fake.api_url),
    )
    .expect("config");
    let runtime = k.dir.path().join("run");
    std::fs::create_dir(&runtime).expect("runtime dir");
    // A session bus of its own with GNOME's keyring on it, unlocked, as a desktop has.
    let script = format!(
        "printf klingel | gnome-keyring-daemon --unlock --components=secrets >/dev/null\n\
         printf '%s\\n' '{TOKEN}' | \"$KLINGELD\" account connect --token-id {TOKEN_ID} >/dev/null\n\
         \"$KLINGELD\" account status --json\n\
         echo ---\n\
         \"$KLINGELD\" account disconnect >/dev/null\n\
         \"$KLINGELD\" account status --json\n"
    );
    let out = k
        .command_for("dbus-run-session")
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("KLINGELD", env!("CARGO_BIN_EXE_klingeld"))
        .args(["--", "sh", "-ec", &script])
        .output()
        .expect("dbus-run-session runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (connected, after) = stdout.split_once("---").expect("two answers");
    let connected: Value = serde_json::from_str(connected).expect("JSON");
    assert_eq!(connected["connected"], true);
    assert_eq!(connected["tokenKept"], "keyring", "{connected}");
    let after: Value = serde_json::from_str(after).expect("JSON");
    assert_eq!(
        after["connected"], false,
        "disconnecting empties the keyring entry"
    );
    assert!(
        files_holding(k.dir.path(), TOKEN).is_empty(),
        "no file holds the token in the clear"
    );
}
