//! The settings file (`klingel.toml`) and its defaults.
//!
//! A missing file means defaults; a broken one is an error naming the line, because a
//! silently ignored typo in `verify_signature` would be a security hole.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::phone::Region;
use crate::sipgate::RejectReason;

/// Why the settings could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The settings file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown or mistyped keys.
    #[error("{path}: {message}")]
    Parse {
        /// The settings file.
        path: PathBuf,
        /// The parser's message, which names line and column.
        message: String,
    },
    /// A value parses but makes no sense.
    #[error("{path}: {message}")]
    Invalid {
        /// The settings file.
        path: PathBuf,
        /// What is wrong with which key.
        message: String,
    },
    /// A value makes no sense, e.g. a public URL without a scheme.
    #[error("{section} {key} {reason}")]
    Value {
        /// The section, e.g. `[listener]`.
        section: &'static str,
        /// The key(s) concerned, e.g. "public_url".
        key: &'static str,
        /// What is wrong, e.g. "must start with http:// or https://".
        reason: String,
    },
    /// The file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The settings file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
}

/// All settings, grouped as in the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `[listener]`: where and how pushes are received.
    pub listener: ListenerConfig,
    /// `[numbers]`: how numbers without country code are read.
    pub numbers: NumbersConfig,
    /// `[calls]`: when calls without a `hangup` are closed.
    pub calls: CallsConfig,
    /// `[ui]`: the window's language.
    pub ui: UiConfig,
    /// `[popups]`: which calls pop up a notification.
    pub popups: PopupsConfig,
    /// `[hub]`: the office hub that serves desks.
    pub hub: HubConfig,
    /// `[desk]`: this Klingel is a desk of an office hub (no listener of its own).
    pub desk: DeskConfig,
    /// `[sipgate]`: the sipgate account's REST API.
    pub sipgate: SipgateConfig,
}

/// `[sipgate]` settings: where sipgate's REST API is. The account's token is kept apart, in
/// an owner-only file beside the settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SipgateConfig {
    /// The REST API's base URL (tests point it at a fake sipgate).
    pub api_url: String,
    /// The device click-to-call rings first (`e0`); none: the user's default device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

impl Default for SipgateConfig {
    fn default() -> Self {
        Self {
            api_url: crate::account::DEFAULT_API_URL.to_string(),
            device: None,
        }
    }
}

/// `[desk]` settings: the office hub this Klingel follows. The desk token is kept apart, in an
/// owner-only file beside the settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeskConfig {
    /// The hub's URL, e.g. `https://klingel.example.org`; unset: no hub.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub_url: Option<String>,
    /// A CA certificate (PEM) to trust besides the public ones, for a hub with a private CA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

/// `[hub]` settings: this Klingel receives sipgate for the whole office and serves desks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HubConfig {
    /// Serve desks under `/api/v1/` on the listener.
    pub enabled: bool,
    /// Plain HTTP on a loopback address behind a TLS-terminating reverse proxy, whose
    /// `X-Forwarded-*` headers are then trusted.
    pub behind_proxy: bool,
    /// How long a deletion stays in the change log for desks that were away.
    pub horizon_days: u32,
}

/// Default of `[hub] horizon_days`.
pub const DEFAULT_HORIZON_DAYS: u32 = 90;

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            behind_proxy: false,
            horizon_days: DEFAULT_HORIZON_DAYS,
        }
    }
}

/// `[listener]` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListenerConfig {
    /// Address the listener binds to.
    pub address: SocketAddr,
    /// The URL sipgate reaches this listener at (tunnel or proxy); used for `onAnswer`/`onHangup`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// Check `X-Sipgate-Signature` on every push.
    pub verify_signature: bool,
    /// HTTP Basic auth user; with `password`, requests must authenticate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// HTTP Basic auth password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// PEM public key replacing sipgate's built-in one (should sipgate ever rotate it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// How a blocked caller is turned away: `busy` or `rejected`.
    pub reject_reason: RejectReason,
    /// Take pushes signed with the local test key, as test calls; when false they get a 403.
    pub accept_test_calls: bool,
    /// Most connections served at once; more are closed as they arrive, so a flood cannot
    /// queue in front of sipgate's pushes.
    pub max_connections: usize,
    /// PEM certificate chain: with `tls_key`, the listener speaks HTTPS (reloaded on change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `tls_cert`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    /// `[listener.acme]`: a certificate from an ACME CA instead of the two files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acme: Option<AcmeSettings>,
}

/// `[listener.acme]`: HTTPS with a certificate from Let's Encrypt (or another ACME CA), got and
/// renewed by the listener itself (TLS-ALPN-01 on its own port, which must be reachable as 443
/// under `domain`), cached in the data dir.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AcmeSettings {
    /// The DNS name the certificate is for, e.g. `klingel.example.org`.
    pub domain: String,
    /// Who the CA writes to about the certificate.
    pub email: String,
    /// The CA's directory URL; empty: Let's Encrypt's production directory.
    pub directory: String,
    /// An extra CA certificate (PEM) to trust for the ACME server's own HTTPS (tests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

/// Let's Encrypt's production directory, the default of `[listener.acme] directory`.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

impl AcmeSettings {
    /// The directory to use: the configured one, else Let's Encrypt's production directory
    /// (never its staging one, whose certificates nobody trusts).
    pub fn directory_url(&self) -> &str {
        match self.directory.trim() {
            "" => LETS_ENCRYPT,
            url => url,
        }
    }
}

/// Default of `[listener] max_connections`: far above what sipgate opens (a handful), low
/// enough that a flood of idle connections stays cheap.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

impl Default for ListenerConfig {
    fn default() -> Self {
        Self {
            address: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            verify_signature: true,
            username: None,
            password: None,
            public_key: None,
            reject_reason: RejectReason::Busy,
            accept_test_calls: true,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            tls_cert: None,
            tls_key: None,
            acme: None,
        }
    }
}

impl ListenerConfig {
    /// The Basic auth credentials, when both user and password are set.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        match (self.username.as_deref(), self.password.as_deref()) {
            (Some(user), Some(password)) if !user.is_empty() => Some((user, password)),
            _ => None,
        }
    }

    /// The certificate and key files, when both are set.
    pub fn tls_files(&self) -> Option<(&Path, &Path)> {
        match (self.tls_cert.as_deref(), self.tls_key.as_deref()) {
            (Some(cert), Some(key)) => Some((cert, key)),
            _ => None,
        }
    }
}

/// `[numbers]` settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NumbersConfig {
    /// Region for numbers written without country code (ISO 3166 code, e.g. `DE`).
    pub region: Region,
    /// How numbers are shown.
    pub display: NumberDisplay,
}

impl NumbersConfig {
    /// A number as this configuration shows it.
    pub fn show(&self, number: &crate::phone::PhoneNumber) -> String {
        match self.display {
            NumberDisplay::National => number.display(self.region),
            NumberDisplay::International => number.international(),
        }
    }
}

/// How numbers are shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NumberDisplay {
    /// Nationally for the default region (`0211 1234567`), internationally otherwise.
    #[default]
    National,
    /// Always internationally (`+49 211 1234567`).
    International,
}

/// `[ui]` settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    /// `auto` (the system locale), `de` or `en`.
    pub language: LanguageSetting,
}

/// The language setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LanguageSetting {
    /// Follow the system locale.
    #[default]
    Auto,
    /// German.
    De,
    /// English.
    En,
}

impl LanguageSetting {
    /// The language to use; `Auto` reads `LC_ALL`, `LC_MESSAGES`, `LANG` (German for `de*`).
    pub fn resolve(self) -> Language {
        match self {
            Self::De => Language::De,
            Self::En => Language::En,
            Self::Auto => {
                let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
                    .iter()
                    .filter_map(|name| std::env::var(name).ok())
                    .find(|v| !v.is_empty());
                Language::from_locale(locale.as_deref().unwrap_or(""))
            }
        }
    }
}

/// A language Klingel speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// German.
    De,
    /// English.
    En,
}

impl Language {
    /// German for locales like `de_DE.UTF-8` or `de-AT`, English otherwise.
    pub fn from_locale(locale: &str) -> Self {
        if locale.to_ascii_lowercase().starts_with("de") {
            Self::De
        } else {
            Self::En
        }
    }
}

/// `[popups]` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PopupsConfig {
    /// Show notifications at all (the tray's "do not disturb" pauses them without changing this).
    pub enabled: bool,
    /// `all` incoming calls, or only those ringing `users`.
    pub mode: PopupMode,
    /// sipgate user names or `userId`s (e.g. `w0`) whose calls pop up in `users` mode.
    pub users: Vec<String>,
    /// Pop up outgoing calls too.
    pub outgoing: bool,
    /// Leave a "missed call" notification behind.
    pub missed: bool,
    /// Seconds the "answered by …" notification stays before it closes by itself.
    pub answered_secs: u64,
    /// Ask the notification server to ring a sound for a ringing call.
    pub sound: bool,
}

impl Default for PopupsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            mode: PopupMode::All,
            users: Vec::new(),
            outgoing: false,
            missed: true,
            answered_secs: 8,
            sound: false,
        }
    }
}

/// Which incoming calls pop up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PopupMode {
    /// Every incoming call.
    #[default]
    All,
    /// Only calls ringing one of the configured users.
    Users,
}

/// `[calls]` settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallsConfig {
    /// Seconds a call may ring without news before it is closed.
    pub ring_timeout_secs: u64,
    /// Seconds an answered call may last without a `hangup` before it is closed.
    pub call_timeout_secs: u64,
    /// Seconds a call may stay open before sipgate's call history is asked how it ended
    /// (with a sipgate account connected).
    pub repair_after_secs: u64,
}

impl Default for CallsConfig {
    fn default() -> Self {
        Self {
            ring_timeout_secs: 300,
            call_timeout_secs: 4 * 60 * 60,
            repair_after_secs: 90,
        }
    }
}

impl Settings {
    /// Loads the settings file; a missing file gives the defaults.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let settings: Self = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        settings.validate().map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(settings)
    }

    /// Checks values the types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |section, key, reason: String| {
            Err(ConfigError::Value {
                section,
                key,
                reason,
            })
        };
        let api_url = self.sipgate.api_url.trim();
        if !(api_url.starts_with("http://") || api_url.starts_with("https://")) {
            return invalid(
                "[sipgate]",
                "api_url",
                format!("{api_url:?} is not an http:// or https:// URL"),
            );
        }
        if let Some(url) = &self.listener.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return invalid(
                    "[listener]",
                    "public_url",
                    format!("must start with http:// or https://, got {url:?}"),
                );
            }
        }
        let user = self.listener.username.as_deref().unwrap_or("");
        let password = self.listener.password.as_deref().unwrap_or("");
        if user.is_empty() != password.is_empty() {
            return invalid(
                "[listener]",
                "username and password",
                "must be set together".into(),
            );
        }
        if user.contains(':') {
            return invalid("[listener]", "username", "must not contain ':'".into());
        }
        if self.listener.max_connections == 0 {
            return invalid("[listener]", "max_connections", "must be at least 1".into());
        }
        if self.calls.ring_timeout_secs == 0 || self.calls.call_timeout_secs == 0 {
            return invalid("[calls]", "timeouts", "must be at least one second".into());
        }
        // Zero would close the notice before anyone reads it; an hour is the longest a notice
        // about a call already taken is of use.
        if !(1..=3600).contains(&self.popups.answered_secs) {
            return invalid(
                "[popups]",
                "answered_secs",
                format!(
                    "must be 1 to 3600 seconds, got {}",
                    self.popups.answered_secs
                ),
            );
        }
        if self.listener.tls_cert.is_some() != self.listener.tls_key.is_some() {
            return invalid(
                "[listener]",
                "tls_cert and tls_key",
                "must be set together".into(),
            );
        }
        if let Some(acme) = &self.listener.acme {
            if self.listener.tls_cert.is_some() {
                return invalid(
                    "[listener.acme]",
                    "domain",
                    "certificate files and ACME exclude each other: drop tls_cert and tls_key"
                        .into(),
                );
            }
            if acme.domain.trim().is_empty() || acme.domain.contains(['/', ':', ' ']) {
                return invalid(
                    "[listener.acme]",
                    "domain",
                    format!(
                        "must be a DNS name like klingel.example.org, got {:?}",
                        acme.domain
                    ),
                );
            }
            if !acme.email.contains('@') {
                return invalid(
                    "[listener.acme]",
                    "email",
                    "the CA needs an address to write to about the certificate".into(),
                );
            }
        }
        self.validate_hub()
    }

    /// A hub is reached by sipgate and by desks over the internet: HTTPS, or a reverse proxy
    /// on this machine that speaks it.
    fn validate_hub(&self) -> Result<(), ConfigError> {
        let hub = &self.hub;
        let loopback = self.listener.address.ip().is_loopback();
        let tls = self.listener.tls_files().is_some() || self.listener.acme.is_some();
        let reason = if hub.behind_proxy && tls {
            "behind_proxy means the proxy speaks HTTPS: drop [listener] tls_cert, tls_key and \
             [listener.acme]"
        } else if hub.behind_proxy && !loopback {
            "behind_proxy needs a loopback [listener] address (e.g. 127.0.0.1:8080): only the \
             proxy on this machine may reach plain HTTP"
        } else if hub.enabled && !tls && !hub.behind_proxy {
            "the hub needs HTTPS: set [listener.acme] (a certificate from Let's Encrypt), or \
             [listener] tls_cert and tls_key, or run it behind a reverse proxy with \
             --behind-proxy ([hub] behind_proxy = true) on a loopback address"
        } else {
            return Ok(());
        };
        Err(ConfigError::Value {
            section: "[hub]",
            key: "enabled",
            reason: reason.into(),
        })
    }

    /// Writes the settings file atomically, creating its directory.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        let write_err = |source| ConfigError::Write {
            path: path.to_path_buf(),
            source,
        };
        let text = toml::to_string_pretty(self).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        // Owner-only (it may hold the Basic-auth password) and atomic: a crash mid-save never
        // leaves a broken file behind.
        crate::private_files::write_atomically(path, text.as_bytes()).map_err(write_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Settings, ConfigError> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("klingel.toml");
        std::fs::write(&path, text).expect("write config");
        Settings::load(&path)
    }

    #[test]
    fn missing_file_means_defaults() {
        let dir = tempfile::tempdir().expect("temp dir");
        let settings = Settings::load(&dir.path().join("none.toml")).expect("defaults");
        assert_eq!(
            settings,
            Settings::default(),
            "no file must behave like an empty one"
        );
        assert!(
            settings.listener.verify_signature,
            "signatures are checked unless switched off"
        );
        assert_eq!(settings.listener.address.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.numbers.region, Region::DE);
        assert!(settings.popups.enabled && settings.popups.missed && !settings.popups.outgoing);
    }

    #[test]
    fn locale_picks_german_only_for_german() {
        assert_eq!(Language::from_locale("de_DE.UTF-8"), Language::De);
        assert_eq!(Language::from_locale("de-AT"), Language::De);
        assert_eq!(Language::from_locale("en_GB.UTF-8"), Language::En);
        assert_eq!(
            Language::from_locale(""),
            Language::En,
            "no locale: English"
        );
        assert_eq!(
            LanguageSetting::De.resolve(),
            Language::De,
            "an explicit choice wins"
        );
    }

    #[test]
    fn listener_and_numbers_keys_are_read() {
        let settings = load_text(
            "[listener]\naddress = \"127.0.0.1:9000\"\npublic_url = \"https://example.org/push\"\n\
             verify_signature = false\nusername = \"sipgate\"\npassword = \"secret\"\n\
             reject_reason = \"rejected\"\n[numbers]\nregion = \"AT\"\ndisplay = \"international\"\n\
             [calls]\nring_timeout_secs = 60\n[ui]\nlanguage = \"de\"\n\
             [popups]\nmode = \"users\"\nusers = [\"w0\", \"Alice\"]\noutgoing = true\n",
        )
        .expect("valid config");
        assert_eq!(settings.listener.address.port(), 9000);
        assert_eq!(
            settings.listener.public_url.as_deref(),
            Some("https://example.org/push")
        );
        assert!(!settings.listener.verify_signature);
        assert_eq!(settings.listener.credentials(), Some(("sipgate", "secret")));
        assert_eq!(settings.listener.reject_reason, RejectReason::Rejected);
        assert_eq!(settings.numbers.region.to_string(), "AT");
        assert_eq!(settings.calls.ring_timeout_secs, 60);
        assert_eq!(
            settings.calls.call_timeout_secs,
            4 * 3600,
            "unset keys keep defaults"
        );
    }

    #[test]
    fn broken_file_names_the_line() {
        let err = load_text("[listener]\naddress = \"127.0.0.1:9000\"\nverify_signature = maybe\n")
            .expect_err("invalid TOML must fail");
        assert!(
            err.to_string().contains("line 3"),
            "the user must learn where: {err}"
        );
    }

    #[test]
    fn unknown_key_is_an_error_not_ignored() {
        let err = load_text("[listener]\nverify_signatures = false\n").expect_err("typo must fail");
        assert!(err.to_string().contains("verify_signatures"), "{err}");
    }

    #[test]
    fn a_hub_refuses_to_start_without_https_and_says_why() {
        let reason = |text: &str| match load_text(text) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        };
        assert!(reason("[hub]\nenabled = true\n").contains("the hub needs HTTPS"));
        assert_eq!(
            reason("[hub]\nenabled = true\nbehind_proxy = true\n"),
            "",
            "behind a proxy on the default loopback address"
        );
        assert!(reason(
            "[listener]\naddress = \"0.0.0.0:8080\"\n[hub]\nenabled = true\nbehind_proxy = true\n"
        )
        .contains("loopback"));
        assert_eq!(
            reason(
                "[listener]\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n[hub]\nenabled = true\n"
            ),
            ""
        );
        let acme =
            "[listener.acme]\ndomain = \"klingel.example.org\"\nemail = \"it@example.org\"\n";
        assert_eq!(reason(&format!("[hub]\nenabled = true\n{acme}")), "");
        assert!(reason(&format!(
            "[listener]\ntls_cert = \"c\"\ntls_key = \"k\"\n{acme}"
        ))
        .contains("exclude each other"));
        assert!(reason("[listener.acme]\ndomain = \"x.org\"\n").contains("email"));
        assert!(reason("[listener]\ntls_cert = \"c.pem\"\n").contains("together"));
        let defaults = load_text(acme).expect("loads");
        assert_eq!(
            defaults.listener.acme.expect("acme").directory_url(),
            LETS_ENCRYPT,
            "production, never staging, when no directory is given"
        );
    }

    #[test]
    fn username_without_password_is_rejected() {
        let err = load_text("[listener]\nusername = \"a\"\n").expect_err("half credentials");
        assert!(err.to_string().contains("together"), "{err}");
    }

    #[test]
    fn answered_notice_time_must_be_one_second_to_an_hour() {
        for secs in [0, 3601] {
            let err = load_text(&format!("[popups]\nanswered_secs = {secs}\n"))
                .expect_err("out of range");
            assert!(err.to_string().contains("answered_secs"), "{err}");
        }
        for secs in [1, 8, 3600] {
            let settings = load_text(&format!("[popups]\nanswered_secs = {secs}\nsound = true\n"))
                .expect("in range");
            assert_eq!(settings.popups.answered_secs, secs);
            assert!(settings.popups.sound);
        }
    }

    #[test]
    fn saved_settings_load_back_equal() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub").join("klingel.toml");
        let mut settings = Settings::default();
        settings.listener.public_url = Some("https://tunnel.example/x".into());
        settings.save(&path).expect("save");
        assert_eq!(
            Settings::load(&path).expect("load"),
            settings,
            "save then load is lossless"
        );
    }
}
