//! Desk tokens: `kl1_<desk id>_<43 base64url characters>`, 256 random bits.
//!
//! The hub keeps only their SHA-256 and finds the row by the id in the token, so checking a
//! token is one indexed read and one constant-time comparison, and a leaked database holds
//! nothing that logs a desk in.

use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const PREFIX: &str = "kl1_";

/// A new token for desk `id`, and the hash to store.
pub fn mint(id: i64) -> (String, Vec<u8>) {
    let secret = crate::random::bytes::<32>();
    let token = format!(
        "{PREFIX}{id}_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
    );
    let hash = hash(&token);
    (token, hash)
}

/// The token of an `Authorization: Bearer …` header (perhaps empty), if the request has one:
/// what the desk API reads, and what the push routes refuse.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

/// SHA-256 of the whole token.
pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The desk id a well-formed token names; `None` for anything else.
pub fn desk_id(token: &str) -> Option<i64> {
    let rest = token.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let valid_secret = secret.len() == 43
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid_secret || id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

/// Whether `token` hashes to `stored`, compared in constant time.
pub fn matches(token: &str, stored: &[u8]) -> bool {
    bool::from(hash(token).as_slice().ct_eq(stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_token_names_its_desk_and_matches_only_its_hash() {
        let (token, stored) = mint(42);
        assert!(token.starts_with("kl1_42_"), "{token}");
        assert_eq!(token.len(), "kl1_42_".len() + 43);
        assert_eq!(desk_id(&token), Some(42));
        assert!(matches(&token, &stored));
        let (other, _) = mint(42);
        assert_ne!(token, other, "256 random bits each time");
        assert!(!matches(&other, &stored));
    }

    #[test]
    fn malformed_tokens_name_no_desk() {
        for bad in [
            "",
            "kl1_",
            "kl1_42",
            "kl1__AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "kl1_x_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "kl1_42_short",
            "kl2_42_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "kl1_42_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "kl1_99999999999999999999999_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(desk_id(bad), None, "{bad:?}");
        }
    }
}
