//! HTTPS for the listener from PEM files, reloaded when they change (a renewed certificate is
//! served without a restart).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

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
    // The provider is named, not taken from the process default: another crate in the same
    // binary may enable a second one, and then rustls cannot pick.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
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
                    Err(e) => tracing::warn!("keeping the old certificate: {e}"),
                }
            }
        }
        state.config.clone()
    }
}
