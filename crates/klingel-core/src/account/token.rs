//! Where the account's Personal Access Token is kept: an owner-only file beside the settings,
//! never in `klingel.toml` and never in a log.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// A Personal Access Token: its id (shown again by sipgate) and the secret (shown once).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    /// `token-ABC123`.
    pub token_id: String,
    /// The secret.
    pub token: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches a log line through `{:?}`.
        f.debug_struct("Token")
            .field("token_id", &self.token_id)
            .field("token", &"…")
            .finish()
    }
}

impl Token {
    /// A token from what a person pasted: trimmed; an id with a `:` cannot be sent in Basic
    /// auth, and empty parts are no token.
    pub fn new(token_id: &str, token: &str) -> Result<Self, String> {
        let (token_id, token) = (token_id.trim(), token.trim());
        if token_id.is_empty() {
            return Err("the token id is empty (it looks like token-ABC123)".to_string());
        }
        if token_id.contains(':') {
            return Err(format!("the token id {token_id:?} contains ':'"));
        }
        if token.is_empty() {
            return Err("the token is empty".to_string());
        }
        Ok(Self {
            token_id: token_id.to_string(),
            token: token.to_string(),
        })
    }
}

/// The token's file.
pub type TokenFile = crate::private_files::JsonFile<Token>;

impl TokenFile {
    /// The token file in `dir` (the settings' directory).
    pub fn in_dir(dir: &Path) -> Self {
        Self::at(dir.join("sipgate-token"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_owner_only_and_never_shows_in_debug() {
        let dir = tempfile::tempdir().expect("dir");
        let file = TokenFile::in_dir(dir.path());
        assert_eq!(file.load(), None);
        let token =
            Token::new(" token-ABC123 ", "e68ead46-a7db-46cd-8a1a-44aed1e4e372\n").expect("ok");
        file.save(&token).expect("save");
        assert_eq!(file.load(), Some(token.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(file.path())
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{token:?}").contains("e68ead46"));
        file.remove().expect("remove");
        file.remove().expect("removing twice is fine");
        assert_eq!(file.load(), None);
    }

    #[test]
    fn pasted_tokens_are_checked_only_for_what_cannot_work() {
        assert!(
            Token::new("token-ABC123-0", "x").is_ok(),
            "newer ids have a suffix"
        );
        assert!(Token::new("to:ken", "x").is_err());
        assert!(Token::new("", "x").is_err());
        assert!(Token::new("token-ABC123", "  ").is_err());
    }
}
