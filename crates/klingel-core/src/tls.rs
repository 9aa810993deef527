//! HTTPS for the listener: from PEM files, reloaded when they change (a renewed certificate is
//! served without a restart), or from an ACME CA such as Let's Encrypt, which the listener
//! answers itself (TLS-ALPN-01 on its own port) and renews on its own.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use futures_util::StreamExt as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::ClientHello;
use rustls::ServerConfig;
use rustls_acme::caches::DirCache;

use crate::config::AcmeSettings;

/// How often the files are looked at for changes, at most.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// Why the certificate or key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file cannot be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file holds no usable PEM.
    #[error("{path}: {reason}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// rustls refused the pair (e.g. the key does not belong to the certificate).
    #[error("certificate and key: {0}")]
    Config(#[from] rustls::Error),
}

/// The crypto provider for every TLS configuration Klingel builds. Named, not taken from the
/// process default: another crate in the same binary may enable a second provider, and then
/// rustls cannot pick.
pub(crate) fn ring() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The web PKI's roots, plus every certificate in `ca_file` (a private CA); the error says
/// what is wrong with the file.
pub(crate) fn roots_with(ca_file: Option<&Path>) -> Result<rustls::RootCertStore, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let Some(path) = ca_file else {
        return Ok(roots);
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| e.to_string())?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no certificate in it".into());
    }
    for cert in certs {
        roots.add(cert).map_err(|e| e.to_string())?;
    }
    Ok(roots)
}

/// How the listener speaks HTTPS.
#[derive(Debug)]
pub enum ListenerTls {
    /// Certificate and key files.
    Files(TlsFiles),
    /// A certificate from an ACME CA.
    Acme(AcmeTls),
}

impl ListenerTls {
    /// The configuration to answer a connection with, and whether it is the CA's validation
    /// (TLS-ALPN-01), which gets its answer in the handshake and nothing else.
    pub fn config_for(&self, hello: &ClientHello<'_>) -> (Arc<ServerConfig>, bool) {
        match self {
            Self::Files(files) => (files.current(), false),
            Self::Acme(acme) => {
                if rustls_acme::is_tls_alpn_challenge(hello) {
                    (acme.challenge.clone(), true)
                } else {
                    (acme.default.clone(), false)
                }
            }
        }
    }

    /// Whether this is ACME with exactly these settings (kept across a re-apply, so no new
    /// order is placed).
    pub fn is_acme(&self, settings: &AcmeSettings) -> bool {
        matches!(self, Self::Acme(acme) if acme.settings == *settings)
    }
}

/// A certificate from an ACME CA: ordered, deployed and renewed by a task of its own, with the
/// account and certificate cached in the data dir (a restart reuses them).
#[derive(Debug)]
pub struct AcmeTls {
    settings: AcmeSettings,
    challenge: Arc<ServerConfig>,
    default: Arc<ServerConfig>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for AcmeTls {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl AcmeTls {
    /// Starts getting a certificate for `settings.domain`, caching in `cache`. Needs a tokio
    /// runtime. Until the certificate is there, handshakes for the domain fail.
    pub fn start(settings: &AcmeSettings, cache: &Path) -> Result<Self, TlsError> {
        // The cache holds the account key: owner-only, like the rest of the data dir.
        crate::private_files::private_dir(cache).map_err(|source| TlsError::Read {
            path: cache.to_path_buf(),
            source,
        })?;
        let roots = roots_with(settings.ca_file.as_deref()).map_err(|reason| TlsError::Pem {
            path: settings.ca_file.clone().unwrap_or_default(),
            reason,
        })?;
        let client = rustls::ClientConfig::builder_with_provider(ring())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut state = rustls_acme::AcmeConfig::new_with_client_config(
            [settings.domain.trim()],
            Arc::new(client),
        )
        .contact_push(format!("mailto:{}", settings.email.trim()))
        .directory(settings.directory_url())
        .cache(DirCache::new(cache.to_path_buf()))
        .state();
        let challenge = state.challenge_rustls_config_with_provider(ring());
        let mut default = (*state.default_rustls_config_with_provider(ring())).clone();
        default.alpn_protocols = vec![b"http/1.1".to_vec()];
        let domain = settings.domain.clone();
        // The state must be polled, or no certificate is ever ordered or renewed.
        let task = tokio::spawn(async move {
            while let Some(event) = state.next().await {
                match event {
                    Ok(ok) => tracing::info!(%domain, "certificate: {ok:?}"),
                    Err(e) => tracing::warn!(%domain, "certificate: {e}"),
                }
            }
        });
        Ok(Self {
            settings: settings.clone(),
            challenge,
            default: Arc::new(default),
            task,
        })
    }
}

/// The files and the configuration built from them.
#[derive(Debug)]
pub struct TlsFiles {
    cert: PathBuf,
    key: PathBuf,
    state: Mutex<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    config: Arc<ServerConfig>,
    stamps: (Option<SystemTime>, Option<SystemTime>),
    checked: Instant,
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn load(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| TlsError::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    let pem_error = |path: &Path, reason: String| TlsError::Pem {
        path: path.to_path_buf(),
        reason,
    };
    let chain = CertificateDer::pem_slice_iter(&read(cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(pem_error(cert, "no certificate in it".into()));
    }
    let private = PrivateKeyDer::from_pem_slice(&read(key)?)
        .map_err(|e| pem_error(key, format!("no private key in it ({e})")))?;
    let mut config = ServerConfig::builder_with_provider(ring())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, private)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

impl TlsFiles {
    /// Loads `cert` and `key`; fails when they cannot serve.
    pub fn load(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let config = load(cert, key)?;
        Ok(Self {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            state: Mutex::new(Loaded {
                config,
                stamps: (modified(cert), modified(key)),
                checked: Instant::now(),
            }),
        })
    }

    /// The configuration to accept a connection with: reloaded first when a file changed
    /// (checked at most once a second). A broken new pair is logged and the old one kept, so a
    /// half-copied renewal never takes the listener down.
    pub fn current(&self) -> Arc<ServerConfig> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.checked.elapsed() >= CHECK_EVERY {
            state.checked = Instant::now();
            let stamps = (modified(&self.cert), modified(&self.key));
            if stamps != state.stamps {
                match load(&self.cert, &self.key) {
                    Ok(config) => {
                        tracing::info!("loaded the renewed certificate {}", self.cert.display());
                        state.config = config;
                        state.stamps = stamps;
                    }
                    Err(e) => {
                        // Not retried every second: the next change of the files tries again.
                        state.stamps = stamps;
                        tracing::warn!("keeping the old certificate: {e}");
                    }
                }
            }
        }
        state.config.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate and its key for `name`, as PEM files in `dir`.
    fn write_pair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = rcgen::CertificateParams::new(vec![name.to_string()])
            .expect("params")
            .self_signed(&key)
            .expect("certificate");
        let (cert_file, key_file) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert_file, cert.pem()).expect("write cert");
        std::fs::write(&key_file, key.serialize_pem()).expect("write key");
        (cert_file, key_file)
    }

    #[test]
    fn renewed_files_are_served_and_a_broken_renewal_keeps_the_old_pair() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (cert, key) = write_pair(dir.path(), "first.example");
        let files = TlsFiles::load(&cert, &key).expect("loads");
        let first = files.current();
        assert!(
            Arc::ptr_eq(&first, &files.current()),
            "unchanged files: same config"
        );

        // File times have a resolution of a second on some file systems.
        std::thread::sleep(CHECK_EVERY + Duration::from_millis(100));
        write_pair(dir.path(), "second.example");
        std::thread::sleep(Duration::from_millis(50));
        let second = files.current();
        assert!(!Arc::ptr_eq(&first, &second), "a renewed pair is picked up");

        std::thread::sleep(CHECK_EVERY + Duration::from_millis(100));
        std::fs::write(&cert, "half a certificate").expect("break");
        assert!(
            Arc::ptr_eq(&second, &files.current()),
            "a broken renewal keeps the pair that works"
        );
    }

    #[test]
    fn unusable_files_say_which_and_why() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = TlsFiles::load(&dir.path().join("none.pem"), &dir.path().join("k.pem"));
        assert!(matches!(missing, Err(TlsError::Read { .. })));
        let (cert, key) = write_pair(dir.path(), "x.example");
        std::fs::write(&key, "no key here").expect("write");
        let error = TlsFiles::load(&cert, &key).expect_err("no key");
        assert!(error.to_string().contains("key.pem"), "{error}");
    }
}
