//! The .deb as a user meets it: what it installs, its desktop entry, and the installed app
//! started as the login autostart starts it (`--minimized`): listening, in the tray, no window.
//! The package is unpacked into a temp dir rather than installed, so the test leaves the
//! machine as it was. Run through `make package-test` (part of `make test`), which builds the
//! package first and provides the display and a D-Bus session.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

#[path = "support/ports.rs"]
mod ports;
use ports::free_port;

/// How long the app may take to start listening (the target is two seconds; a loaded machine
/// gets more before the test calls it broken).
const START_PATIENCE: Duration = Duration::from_secs(20);

/// The icon sizes the desktop's menus and panels look for.
const ICON_SIZES: &[&str] = &[
    "16x16", "24x24", "32x32", "48x48", "64x64", "128x128", "256x256", "512x512",
];

fn run(program: &str, args: &[&str]) -> Output {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The newest .deb the bundler wrote.
fn deb() -> PathBuf {
    if let Some(path) = std::env::var_os("KLINGEL_DEB") {
        return path.into();
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/bundle/deb");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("no packages in {}: {e} (run `make package`)", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .expect("a .deb (run `make package`)")
}

/// Whether `GET /healthz` on `port` answers "ok".
fn healthy(port: u16) -> bool {
    ureq::get(&format!("http://127.0.0.1:{port}/healthz"))
        .call()
        .ok()
        .and_then(|mut r| r.body_mut().read_to_string().ok())
        .is_some_and(|body| body.trim() == "ok")
}

/// Visible top-level windows titled "Klingel" on the display.
fn visible_windows() -> usize {
    let output = Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", "^Klingel$"])
        .output()
        .expect("xdotool");
    // xdotool exits 1 when nothing matches.
    String::from_utf8_lossy(&output.stdout).lines().count()
}

/// The unpacked app, stopped when dropped.
struct App(Child);

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
#[ignore = "needs the built .deb, a display and D-Bus: run through `make package-test`"]
fn the_deb_installs_a_menu_entry_and_starts_in_the_tray_at_login() {
    let deb = deb();
    println!("package: {}", deb.display());

    // What the package says of itself.
    let info = String::from_utf8(run("dpkg-deb", &["--field", deb.to_str().unwrap()]).stdout)
        .expect("control fields");
    assert!(info.contains("Package: klingel\n"), "{info}");
    let depends = info
        .lines()
        .find_map(|l| l.strip_prefix("Depends: "))
        .expect("Depends");
    for lib in ["libwebkit2gtk-4.1-0", "libgtk-3-0"] {
        assert!(depends.contains(lib), "depends on {lib}: {depends}");
    }

    // Its files.
    let root = tempfile::tempdir().expect("temp dir");
    run(
        "dpkg-deb",
        &["-x", deb.to_str().unwrap(), root.path().to_str().unwrap()],
    );
    let at = |path: &str| root.path().join(path);
    for path in [
        "usr/bin/klingel",
        "usr/bin/klingeld",
        "usr/share/applications/Klingel.desktop",
        "usr/lib/systemd/user/klingeld.service",
    ] {
        assert!(at(path).is_file(), "the package installs {path}");
    }
    for size in ICON_SIZES {
        let icon = format!("usr/share/icons/hicolor/{size}/apps/klingel.png");
        assert!(at(&icon).is_file(), "the package installs {icon}");
    }

    // The menu entry: valid, German too, and starting the installed binary.
    let entry = at("usr/share/applications/Klingel.desktop");
    run("desktop-file-validate", &[entry.to_str().unwrap()]);
    let entry = std::fs::read_to_string(entry).expect("desktop entry");
    for line in [
        "Name=Klingel",
        "Exec=klingel",
        "Icon=klingel",
        "Comment[de]=",
    ] {
        assert!(
            entry.lines().any(|l| l.starts_with(line)),
            "{line} in\n{entry}"
        );
    }

    // klingeld's user unit: shipped, not switched on by the package.
    let unit = std::fs::read_to_string(at("usr/lib/systemd/user/klingeld.service")).expect("unit");
    assert!(unit.contains("ExecStart=/usr/bin/klingeld serve"), "{unit}");
    let control = tempfile::tempdir().expect("temp dir");
    run(
        "dpkg-deb",
        &[
            "-e",
            deb.to_str().unwrap(),
            control.path().to_str().unwrap(),
        ],
    );
    for script in ["postinst", "preinst"] {
        if let Ok(text) = std::fs::read_to_string(control.path().join(script)) {
            assert!(
                !text.contains("enable"),
                "{script} enables nothing:\n{text}"
            );
        }
    }
    let klingeld = run(at("usr/bin/klingeld").to_str().unwrap(), &["--version"]);
    assert!(String::from_utf8_lossy(&klingeld.stdout).contains("klingeld"));

    // The installed app as the autostart entry starts it, on a new user's home.
    let home = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let config = home.path().join("klingel.toml");
    std::fs::write(
        &config,
        format!("[listener]\naddress = \"127.0.0.1:{port}\"\n"),
    )
    .expect("config");
    let started = Instant::now();
    // The installed app in this user's session: both starts below see the same home.
    let klingel = || {
        let mut command = Command::new(at("usr/bin/klingel"));
        command
            .env("HOME", home.path())
            .env("KLINGEL_CONFIG", &config)
            .env("KLINGEL_DATA_DIR", home.path().join("data"))
            .env("XDG_DATA_HOME", home.path().join(".local/share"))
            .env("XDG_CACHE_HOME", home.path().join(".cache"))
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            .stdout(Stdio::null());
        command
    };
    let app = App(klingel()
        .arg("--minimized")
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the installed app starts"));
    while !healthy(port) {
        assert!(
            started.elapsed() < START_PATIENCE,
            "the app did not listen within {START_PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    println!(
        "listening {} ms after the start",
        started.elapsed().as_millis()
    );

    // Started at login it stays in the tray: give a window time to appear, then look.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(visible_windows(), 0, "no window after --minimized");

    // Its first start turned on starting at login, with --minimized.
    let autostart = home.path().join(".config/autostart/Klingel.desktop");
    let entry = std::fs::read_to_string(&autostart).expect("an autostart entry");
    let exec = entry
        .lines()
        .find_map(|l| l.strip_prefix("Exec="))
        .expect("Exec");
    assert!(exec.ends_with("usr/bin/klingel --minimized"), "{exec}");

    // Starting it again from the menu opens the running one's window (and proves the check
    // above would have seen a window).
    let mut second = klingel()
        .stderr(Stdio::null())
        .spawn()
        .expect("a second start");
    let handed_over = Instant::now();
    while visible_windows() == 0 {
        assert!(
            handed_over.elapsed() < START_PATIENCE,
            "a second start did not bring the window up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = second.wait().expect("the second start ends");
    assert!(status.success(), "the second start hands over and quits");
    drop(app);
}
