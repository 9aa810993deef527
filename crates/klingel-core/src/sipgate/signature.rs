//! `X-Sipgate-Signature`: RSA PKCS#1 v1.5 / SHA-256 over the raw request body.
//!
//! The signature covers the body byte for byte, so it must be checked before
//! the body is parsed or re-encoded. Klingel also signs its own test pushes with
//! a local key ([`TestSigner`]) so a self-test passes with verification enabled.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, LineEnding};
use rsa::rand_core::OsRng;
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding as _, Verifier as _};
use rsa::traits::PublicKeyParts as _;
use rsa::{RsaPrivateKey, RsaPublicKey};

/// Re-exported so callers can sign with `rsa` signing keys without depending on the `signature` crate.
pub use rsa::signature::Signer;

/// sipgate.io's published RSA-4096 push-signing key (SubjectPublicKeyInfo PEM).
pub const SIPGATE_PUBLIC_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAvFdlnqRfO5TmqzjtsFVC
qPz+oW+poi3lXQFvMJJMEAtlU4MbX+yuIkgnC+Qt3AQWIK+oWSEQiybg+p39wEMl
16PZxEzf9gONQvTg1XhyHnwqYUFQj/AoxPKGYC3jmdjZ224SrESiTN3CdxoOc3vk
cXiQstYE7SxnksPtzfk0aIOkicim5/tAP9izNQ18/zmX3ChjK2k72gf5dDlq+qZ8
pRiHAPZ64TySH6cLQDhaoh6Nbq8FEG3usXXPClbUMh2DZaTMPafpd+LNuTngJ/y+
KoZasVuFfXAeBqGA6l5d4Uedfr99Z6qjwDrJ8sU4z2Do9bJrbuqP+mOXEebhSI1K
vi8trEfrIt8hnDBGsBaB9NEO3kYxvDT2/PhC9fNYFocjEpZNd7/mUqTJDYlpa4UC
NDQaU+ATdXG8/P5sGAegks6MQTu+qe9XTO0CV48eswDkz6g3UbLOwmrJK59SjD3J
yAZ52sluwyDKRWw/PPTt8BTQLjvkdbiLUlc4ehJ4b1X7D7diYWHDPeFL47cAvaXh
dXVrZDeBJYibvD1jRx4ES0KlfhwzNXBYUoM/Movg9zMM2PzyHHKS//xIjwUC/FJ6
/6eykno0Hy2B1ev6s3hdY6VkN2zd7Wf+EK4DxRliwsg1U99szFE3ewLfexF+Uag5
M+TfPtOUumI/NHMTvsRW9+ECAwEAAQ==
-----END PUBLIC KEY-----
";

/// Size of the key Klingel generates for signing its own test pushes.
const TEST_KEY_BITS: usize = 2048;

/// A key could not be loaded, parsed, generated or stored.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The text is not a PEM block holding an RSA public key.
    #[error("not a usable RSA public key in PEM form: {0}")]
    BadPublicKey(String),
    /// The key file does not hold a PKCS#8 PEM RSA private key.
    #[error("key file {path} is not a PKCS#8 PEM RSA private key: {reason}")]
    BadPrivateKey {
        /// The file that was read.
        path: PathBuf,
        /// What the decoder complained about.
        reason: String,
    },
    /// The key file exists but cannot be read.
    #[error("cannot read key file {path}: {source}")]
    Read {
        /// The file that was read.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The key file (or its directory) cannot be written.
    #[error("cannot write key file {path}: {source}")]
    Write {
        /// The file or directory that was written.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Generating or encoding a fresh key failed.
    #[error("cannot generate an RSA key: {0}")]
    Generate(String),
}

/// Why a push's signature was not accepted; `Display` is fit for an HTTP 401/403 body.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    /// The request carried no (or an empty) signature header.
    #[error("missing X-Sipgate-Signature header")]
    Missing,
    /// The header is not base64 or has a length no configured key can produce.
    #[error("X-Sipgate-Signature is not valid base64 or has the wrong length")]
    Malformed,
    /// No configured key signed this body.
    #[error("X-Sipgate-Signature does not match the body")]
    Mismatch,
}

/// What a key vouches for: real calls (sipgate's key, or one the user configured) or only
/// Klingel's own test calls (the local test key, which anyone with a copy of the data dir holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// Pushes it signed are calls.
    Calls,
    /// Pushes it signed are test calls, kept apart from real ones.
    TestCalls,
}

/// The key a signature verified with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The key's label, e.g. `sipgate` or `local test key`, for the request record.
    pub label: String,
    /// What a push signed with it counts as.
    pub role: KeyRole,
}

impl Verified {
    /// Signed only by a test key: a test call.
    pub fn is_test(&self) -> bool {
        self.role == KeyRole::TestCalls
    }
}

/// One public key, checked with `ring` when it can (2048 to 8192 bits, sipgate's included) and
/// with the `rsa` crate otherwise.
///
/// `ring`'s constant-time modular exponentiation verifies sipgate's RSA-4096 signatures about
/// seven times faster than the `rsa` crate; the `rsa` crate still parses the PEM forms `ring`
/// does not read and checks keys shorter than `ring` accepts.
#[derive(Clone)]
struct CheckKey {
    /// Modulus length in bytes: a signature of any other length cannot be this key's.
    size: usize,
    check: KeyCheck,
}

#[derive(Clone)]
enum KeyCheck {
    Ring(ring::signature::RsaPublicKeyComponents<Vec<u8>>),
    Rsa(VerifyingKey<Sha256>),
}

/// The smallest modulus `ring`'s PKCS#1 v1.5 verification accepts.
const RING_MIN_BITS: usize = 2048;

impl CheckKey {
    fn new(key: RsaPublicKey) -> Self {
        let size = key.size();
        let check = if size * 8 >= RING_MIN_BITS && size * 8 <= 8192 {
            KeyCheck::Ring(ring::signature::RsaPublicKeyComponents {
                n: key.n().to_bytes_be(),
                e: key.e().to_bytes_be(),
            })
        } else {
            KeyCheck::Rsa(VerifyingKey::new(key))
        };
        Self { size, check }
    }

    fn verifies(&self, body: &[u8], signature: &[u8]) -> bool {
        match &self.check {
            KeyCheck::Ring(components) => components
                .verify(
                    &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    body,
                    signature,
                )
                .is_ok(),
            KeyCheck::Rsa(key) => Signature::try_from(signature)
                .is_ok_and(|signature| key.verify(body, &signature).is_ok()),
        }
    }
}

/// Checks push signatures against one or more labelled public keys.
#[derive(Clone)]
pub struct SignatureVerifier {
    keys: Vec<(String, KeyRole, CheckKey)>,
}

impl SignatureVerifier {
    /// A verifier holding sipgate.io's built-in key, labelled `sipgate`.
    pub fn sipgate() -> Self {
        match Self::from_pem("sipgate", SIPGATE_PUBLIC_KEY_PEM) {
            Ok(verifier) => verifier,
            Err(err) => {
                // Unreachable with the shipped constant (a test pins it); failing closed
                // rejects every push instead of crashing the listener.
                tracing::error!("built-in sipgate public key does not parse: {err}");
                Self { keys: Vec::new() }
            }
        }
    }

    /// A verifier holding one key from PEM text.
    ///
    /// Accepts SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`), PKCS#1 (`BEGIN RSA PUBLIC KEY`)
    /// and the `BEGIN CERTIFICATE`-labelled SPKI that sipgate's Java verifier ships,
    /// so the block label is ignored and the DER decides.
    pub fn from_pem(label: &str, pem: &str) -> Result<Self, KeyError> {
        let key = public_key_from_pem(pem)?;
        let mut verifier = Self { keys: Vec::new() };
        verifier.add_key(label, key);
        Ok(verifier)
    }

    /// Adds another key whose pushes are calls, e.g. a rotated sipgate key.
    pub fn add_key(&mut self, label: &str, key: RsaPublicKey) {
        self.keys
            .push((label.to_owned(), KeyRole::Calls, CheckKey::new(key)));
    }

    /// Adds a key whose pushes are only test calls: Klingel's local test key.
    pub fn add_test_key(&mut self, label: &str, key: RsaPublicKey) {
        self.keys
            .push((label.to_owned(), KeyRole::TestCalls, CheckKey::new(key)));
    }

    /// The labels of all accepted keys, in the order they are tried.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(label, _, _)| label.as_str())
    }

    /// Verifies the raw body against the header value with every key, call keys first (so a
    /// configured key that is also the test key counts for calls); returns the key that matched.
    pub fn verify(&self, body: &[u8], header: Option<&str>) -> Result<Verified, SignatureError> {
        self.verify_with(body, header, |_| true)
    }

    /// Verifies against the test keys only: with the signature check off, a push Klingel sent
    /// itself is still told apart from a call.
    pub fn verify_test(
        &self,
        body: &[u8],
        header: Option<&str>,
    ) -> Result<Verified, SignatureError> {
        self.verify_with(body, header, |role| role == KeyRole::TestCalls)
    }

    fn verify_with(
        &self,
        body: &[u8],
        header: Option<&str>,
        admit: impl Fn(KeyRole) -> bool,
    ) -> Result<Verified, SignatureError> {
        let header = header.map(str::trim).unwrap_or_default();
        if header.is_empty() {
            return Err(SignatureError::Missing);
        }
        let bytes = BASE64
            .decode(header)
            .map_err(|_| SignatureError::Malformed)?;
        // A PKCS#1 v1.5 signature is exactly as long as the modulus; any other length
        // means the header was truncated or mangled, not signed by someone else.
        let mut candidates: Vec<_> = self
            .keys
            .iter()
            .filter(|(_, role, key)| admit(*role) && key.size == bytes.len())
            .collect();
        candidates.sort_by_key(|(_, role, _)| *role == KeyRole::TestCalls);
        if candidates.is_empty() {
            return Err(SignatureError::Malformed);
        }
        candidates
            .into_iter()
            .find(|(_, _, key)| key.verifies(body, &bytes))
            .map(|(label, role, _)| Verified {
                label: label.clone(),
                role: *role,
            })
            .ok_or(SignatureError::Mismatch)
    }
}

impl fmt::Debug for SignatureVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureVerifier")
            .field("keys", &self.labels().collect::<Vec<_>>())
            .finish()
    }
}

/// Decodes the first PEM block in `pem` as an RSA public key, whatever its label says.
fn public_key_from_pem(pem: &str) -> Result<RsaPublicKey, KeyError> {
    let mut lines = pem.lines().map(str::trim);
    if !lines.any(|line| line.starts_with("-----BEGIN ")) {
        return Err(KeyError::BadPublicKey("no -----BEGIN line".to_owned()));
    }
    let mut body = String::new();
    let mut ended = false;
    for line in lines {
        if line.starts_with("-----END ") {
            ended = true;
            break;
        }
        // RFC 1421-style headers (`Proc-Type: …`) never occur in public keys; skipping them is harmless.
        if !line.contains(':') {
            body.extend(line.chars().filter(|c| !c.is_whitespace()));
        }
    }
    if !ended {
        return Err(KeyError::BadPublicKey("no -----END line".to_owned()));
    }
    let der = BASE64
        .decode(body.as_bytes())
        .map_err(|e| KeyError::BadPublicKey(format!("PEM body is not base64: {e}")))?;
    RsaPublicKey::from_public_key_der(&der).or_else(|spki_err| {
        RsaPublicKey::from_pkcs1_der(&der).map_err(|pkcs1_err| {
            KeyError::BadPublicKey(format!(
                "neither SubjectPublicKeyInfo ({spki_err}) nor PKCS#1 ({pkcs1_err})"
            ))
        })
    })
}

/// A local RSA key Klingel signs its own test pushes with (so a self-test passes with verification on).
pub struct TestSigner {
    signing: SigningKey<Sha256>,
    public: RsaPublicKey,
}

impl TestSigner {
    /// Loads the PKCS#8 PEM private key at `path`, or creates a 2048-bit one there if it is missing.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        match std::fs::read_to_string(path) {
            Ok(pem) => {
                let private =
                    RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|e| KeyError::BadPrivateKey {
                        path: path.to_owned(),
                        reason: e.to_string(),
                    })?;
                Ok(Self::from_private(private))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let private = RsaPrivateKey::new(&mut OsRng, TEST_KEY_BITS)
                    .map_err(|e| KeyError::Generate(e.to_string()))?;
                let pem = private
                    .to_pkcs8_pem(LineEnding::LF)
                    .map_err(|e| KeyError::Generate(e.to_string()))?;
                write_private_file(path, pem.as_bytes())?;
                Ok(Self::from_private(private))
            }
            Err(source) => Err(KeyError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    fn from_private(private: RsaPrivateKey) -> Self {
        let public = private.to_public_key();
        Self {
            signing: SigningKey::new(private),
            public,
        }
    }

    /// Signs `body` and returns the value for an `X-Sipgate-Signature` header.
    pub fn sign(&self, body: &[u8]) -> String {
        match self.signing.try_sign(body) {
            Ok(signature) => BASE64.encode(signature.to_bytes()),
            Err(err) => {
                // Cannot happen for a key that loaded; an empty header makes the
                // receiver report "missing signature" instead of crashing the sender.
                tracing::error!("signing a test push failed: {err}");
                String::new()
            }
        }
    }

    /// The public half, to be added to a [`SignatureVerifier`].
    pub fn public_key(&self) -> RsaPublicKey {
        self.public.clone()
    }

    /// The public half as SPKI PEM, the form `[listener] public_key` takes.
    pub fn public_pem(&self) -> String {
        use rsa::pkcs8::EncodePublicKey as _;
        // Encoding a key that was decoded or generated cannot fail; an empty string would be
        // refused as a key, never trusted.
        self.public
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_default()
    }
}

impl fmt::Debug for TestSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print private key material.
        f.debug_struct("TestSigner")
            .field("bits", &(self.public.size() * 8))
            .finish_non_exhaustive()
    }
}

/// Writes `contents` to `path` via a temp file and rename, so a crash never leaves half a key.
fn write_private_file(path: &Path, contents: &[u8]) -> Result<(), KeyError> {
    crate::private_files::write_atomically(path, contents).map_err(|source| KeyError::Write {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use rsa::pkcs1::{EncodeRsaPublicKey as _, LineEnding as Pkcs1LineEnding};
    use rsa::pkcs8::EncodePublicKey as _;
    use rstest::rstest;

    use super::*;

    const SIGNED_2021: &[u8] =
        include_bytes!("../../tests/fixtures/sipgate/signed-newcall-2021.form");
    const SIGNED_2021_SIG: &str =
        include_str!("../../tests/fixtures/sipgate/signed-newcall-2021.sig");
    const LIBRARY_VECTOR: &[u8] =
        include_bytes!("../../tests/fixtures/sipgate/signed-library-vector.form");
    const LIBRARY_VECTOR_SIG: &str =
        include_str!("../../tests/fixtures/sipgate/signed-library-vector.sig");
    const SIPGATE_PUB: &str = include_str!("../../tests/fixtures/sipgate/sipgate-io.pub");

    #[rstest]
    #[case::real_2021_push(SIGNED_2021, SIGNED_2021_SIG)]
    #[case::node_library_vector(LIBRARY_VECTOR, LIBRARY_VECTOR_SIG)]
    fn both_signed_fixtures_verify_with_the_built_in_key(#[case] body: &[u8], #[case] sig: &str) {
        assert_eq!(
            SignatureVerifier::sipgate()
                .verify(body, Some(sig))
                .map(|v| (v.label, v.role)),
            Ok(("sipgate".to_owned(), KeyRole::Calls)),
            "these bodies were signed by sipgate's published key (verified with openssl)"
        );
    }

    #[test]
    fn flipping_any_byte_of_the_real_push_breaks_its_signature() {
        let verifier = SignatureVerifier::sipgate();
        for index in 0..SIGNED_2021.len() {
            let mut body = SIGNED_2021.to_vec();
            if let Some(byte) = body.get_mut(index) {
                *byte ^= 0x01;
            }
            assert_eq!(
                verifier.verify(&body, Some(SIGNED_2021_SIG)),
                Err(SignatureError::Mismatch),
                "the signature covers every body byte, so changing byte {index} must be caught"
            );
        }
    }

    #[rstest]
    #[case::first_byte(0)]
    #[case::middle_byte(LIBRARY_VECTOR.len() / 2)]
    #[case::last_byte(LIBRARY_VECTOR.len() - 1)]
    fn flipping_a_byte_of_the_library_vector_breaks_its_signature(#[case] index: usize) {
        let mut body = LIBRARY_VECTOR.to_vec();
        if let Some(byte) = body.get_mut(index) {
            *byte ^= 0x20;
        }
        assert_eq!(
            SignatureVerifier::sipgate().verify(&body, Some(LIBRARY_VECTOR_SIG)),
            Err(SignatureError::Mismatch),
            "a modified body must not verify"
        );
    }

    #[test]
    fn the_library_vector_with_a_changed_digit_fails() {
        let body = String::from_utf8_lossy(LIBRARY_VECTOR).replace("=123456789&", "=123456779&");
        assert_ne!(
            body.as_bytes(),
            LIBRARY_VECTOR,
            "the test must actually change the body"
        );
        assert_eq!(
            SignatureVerifier::sipgate().verify(body.as_bytes(), Some(LIBRARY_VECTOR_SIG)),
            Err(SignatureError::Mismatch),
            "sipgate's own negative test vector must be rejected"
        );
    }

    #[rstest]
    #[case::absent(None, SignatureError::Missing)]
    #[case::empty(Some(""), SignatureError::Missing)]
    #[case::blank(Some("  \t "), SignatureError::Missing)]
    #[case::not_base64(Some("this is not base64!"), SignatureError::Malformed)]
    #[case::url_safe_alphabet(Some("ab-_"), SignatureError::Malformed)]
    #[case::wrong_length(Some("AAAA"), SignatureError::Malformed)]
    fn unusable_headers_are_classified(
        #[case] header: Option<&str>,
        #[case] expected: SignatureError,
    ) {
        assert_eq!(
            SignatureVerifier::sipgate().verify(SIGNED_2021, header),
            Err(expected),
            "the caller reports missing, malformed and mismatched signatures differently"
        );
    }

    #[test]
    fn whitespace_around_the_header_value_is_ignored() {
        let header = format!("  {}\r\n", SIGNED_2021_SIG.trim());
        assert!(
            SignatureVerifier::sipgate()
                .verify(SIGNED_2021, Some(&header))
                .is_ok(),
            "proxies and copy-paste add whitespace that is not part of the signature"
        );
    }

    #[test]
    fn error_messages_name_the_header() {
        assert_eq!(
            SignatureError::Missing.to_string(),
            "missing X-Sipgate-Signature header",
            "the message is shown to whoever misconfigured the sender"
        );
        assert_eq!(
            SignatureError::Mismatch.to_string(),
            "X-Sipgate-Signature does not match the body",
            "the message is shown to whoever misconfigured the sender"
        );
    }

    fn builtin_key() -> RsaPublicKey {
        public_key_from_pem(SIPGATE_PUBLIC_KEY_PEM).expect("the built-in key must parse")
    }

    #[test]
    fn the_built_in_key_is_the_published_fixture_key() {
        let fixture = public_key_from_pem(SIPGATE_PUB).expect("the fixture key must parse");
        assert_eq!(
            builtin_key(),
            fixture,
            "the constant must match sipgate-io.pub"
        );
        assert_eq!(builtin_key().size() * 8, 4096, "sipgate's key is RSA-4096");
    }

    #[rstest]
    #[case::spki_fixture(SIPGATE_PUB.to_owned())]
    #[case::pkcs1(builtin_key().to_pkcs1_pem(Pkcs1LineEnding::LF).expect("encode PKCS#1"))]
    #[case::certificate_label(SIPGATE_PUBLIC_KEY_PEM.replace("PUBLIC KEY", "CERTIFICATE"))]
    #[case::crlf_and_indent(
        builtin_key().to_public_key_pem(LineEnding::CRLF).expect("encode SPKI").replace('\n', "\n  ")
    )]
    fn from_pem_accepts_every_shipped_key_format(#[case] pem: String) {
        let verifier = SignatureVerifier::from_pem("configured", &pem)
            .expect("each of these PEM forms holds the same RSA public key");
        assert_eq!(
            verifier
                .verify(SIGNED_2021, Some(SIGNED_2021_SIG))
                .map(|v| v.label),
            Ok("configured".to_owned()),
            "a key loaded from PEM must verify sipgate's signature under its own label"
        );
    }

    #[rstest]
    #[case::empty("")]
    #[case::no_pem("hello")]
    #[case::no_end("-----BEGIN PUBLIC KEY-----\nMIIC\n")]
    #[case::bad_base64("-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n")]
    #[case::not_a_key("-----BEGIN PUBLIC KEY-----\naGVsbG8=\n-----END PUBLIC KEY-----\n")]
    fn from_pem_rejects_text_without_a_public_key(#[case] pem: &str) {
        assert!(
            matches!(
                SignatureVerifier::from_pem("bad", pem),
                Err(KeyError::BadPublicKey(_))
            ),
            "a broken configured key must be reported, not silently ignored"
        );
    }

    #[test]
    fn a_key_shorter_than_ring_accepts_is_still_checked() {
        // `ring` refuses moduli under 2048 bits; a configured 1024-bit key must still verify
        // its own signatures and refuse everything else, not be silently ignored.
        let private = RsaPrivateKey::new(&mut OsRng, 1024).expect("generate a 1024-bit key");
        let signing = SigningKey::<Sha256>::new(private.clone());
        let body = b"event=hangup&callId=SHORTKEY&cause=normalClearing";
        let header = BASE64.encode(signing.sign(body).to_bytes());
        let mut verifier = SignatureVerifier::sipgate();
        verifier.add_key("short", private.to_public_key());

        assert_eq!(
            verifier.verify(body, Some(&header)).map(|v| v.label),
            Ok("short".to_owned())
        );
        assert_eq!(
            verifier.verify(b"event=hangup&callId=OTHER", Some(&header)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verifier
                .verify(SIGNED_2021, Some(SIGNED_2021_SIG))
                .map(|v| v.label),
            Ok("sipgate".to_owned()),
            "the 4096-bit key beside it is checked by ring"
        );
    }

    #[test]
    fn debug_output_shows_labels_but_no_key_material() {
        let text = format!("{:?}", SignatureVerifier::sipgate());
        assert!(
            text.contains("sipgate"),
            "the label identifies the key in logs"
        );
        assert!(
            !text.contains("n:") && !text.contains("BigUint") && text.len() < 80,
            "a 4096-bit modulus in every debug log line would be noise: {text}"
        );
    }

    #[test]
    fn a_created_test_signer_signs_bodies_its_public_key_verifies() {
        let dir = tempfile::tempdir().expect("create a temp dir");
        let path = dir
            .path()
            .join("nested")
            .join("keys")
            .join("test-signer.pem");
        let signer = TestSigner::load_or_create(&path).expect("create a fresh key");
        assert!(
            path.is_file(),
            "the key must be persisted for the next start"
        );

        let body = b"event=newCall&direction=in&from=4930123&to=4940456&callId=SELFTEST";
        let header = signer.sign(body);
        let mut verifier = SignatureVerifier::sipgate();
        verifier.add_test_key("local test key", signer.public_key());
        let verified = verifier.verify(body, Some(&header)).expect("verifies");
        assert_eq!(
            (verified.label.as_str(), verified.is_test()),
            ("local test key", true),
            "a self-test push must pass verification and be attributed to the local key"
        );
        assert_eq!(
            verifier.verify(b"event=newCall&callId=OTHER", Some(&header)),
            Err(SignatureError::Mismatch),
            "the local key must not accept bodies it did not sign"
        );

        let reloaded = TestSigner::load_or_create(&path).expect("load the stored key");
        assert_eq!(
            reloaded.public_key(),
            signer.public_key(),
            "a second start must reuse the key instead of generating a new one"
        );
        assert_eq!(
            verifier
                .verify(body, Some(&reloaded.sign(body)))
                .map(|v| v.label),
            Ok("local test key".to_owned()),
            "signatures from the reloaded key verify against the original public key"
        );
    }

    #[test]
    fn a_test_key_vouches_only_for_test_calls_and_a_configured_copy_wins() {
        let dir = tempfile::tempdir().expect("create a temp dir");
        let signer = TestSigner::load_or_create(&dir.path().join("k.pem")).expect("key");
        let body = b"event=newCall&callId=T";
        let header = signer.sign(body);

        let mut verifier = SignatureVerifier::sipgate();
        verifier.add_test_key("local test key", signer.public_key());
        assert!(verifier.verify(body, Some(&header)).expect("ok").is_test());
        assert!(
            verifier.verify_test(body, Some(&header)).is_ok(),
            "with the check off, Klingel still recognises its own test pushes"
        );
        assert_eq!(
            verifier.verify_test(SIGNED_2021, Some(SIGNED_2021_SIG)),
            Err(SignatureError::Malformed),
            "sipgate's own signature is not a test signature"
        );

        let mut configured = SignatureVerifier::sipgate();
        configured.add_test_key("local test key", signer.public_key());
        configured.add_key("configured key", signer.public_key());
        let verified = configured.verify(body, Some(&header)).expect("ok");
        assert_eq!(
            (verified.label.as_str(), verified.is_test()),
            ("configured key", false),
            "a key the user configured for calls counts for calls, even if it is the test key"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_created_key_file_is_private_to_the_user() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("create a temp dir");
        let path = dir.path().join("test-signer.pem");
        TestSigner::load_or_create(&path).expect("create a fresh key");
        let mode = std::fs::metadata(&path)
            .expect("stat the key")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "a private key must not be readable by other users"
        );
        let leftovers = std::fs::read_dir(dir.path()).expect("list the dir").count();
        assert_eq!(
            leftovers, 1,
            "the temp file must be renamed away, not left behind"
        );
    }

    #[test]
    fn a_corrupt_key_file_is_reported_not_replaced() {
        let dir = tempfile::tempdir().expect("create a temp dir");
        let path = dir.path().join("test-signer.pem");
        std::fs::write(&path, "not a key").expect("write garbage");
        assert!(
            matches!(
                TestSigner::load_or_create(&path),
                Err(KeyError::BadPrivateKey { .. })
            ),
            "overwriting a file the user may care about would lose data"
        );
        assert_eq!(
            std::fs::read_to_string(&path).expect("read it back"),
            "not a key",
            "the corrupt file must be left untouched"
        );
    }
}
