//! Pointing the account's webhook URLs at Klingel.
//!
//! sipgate's `PUT /settings/sipgateio` takes the whole object, so every change is a
//! read-modify-write: read, change only `incomingUrl` and `outgoingUrl`, write back everything
//! else as read (`log`, `whitelist`, fields Klingel does not know), then read again and compare.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::api::{Api, ApiError};
use super::AccountError;
use crate::http::split_userinfo;

/// The account's webhook URLs as last read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookState {
    /// Where sipgate sends incoming calls' events; a password in it is masked.
    pub incoming_url: String,
    /// Where sipgate sends outgoing calls' events; masked the same way.
    pub outgoing_url: String,
    /// Both point at this Klingel (`None`: Klingel has no public URL to compare with).
    pub points_here: Option<bool>,
}

impl WebhookState {
    /// The state of `settings` as read, compared with Klingel's own URL.
    pub fn of(settings: &Map<String, Value>, own_url: Option<&str>) -> Self {
        let (incoming, outgoing) = (
            url_in(settings, "incomingUrl"),
            url_in(settings, "outgoingUrl"),
        );
        Self {
            points_here: own_url.map(|own| same_url(&incoming, own) && same_url(&outgoing, own)),
            incoming_url: redact(&incoming),
            outgoing_url: redact(&outgoing),
        }
    }
}

/// Checks that sipgate can be given `url`: sipgate delivers only to HTTPS with a certificate
/// it trusts (sipgate Neo accepts nothing else), and Klingel hands out nothing less.
pub fn check_url(url: &str) -> Result<(), AccountError> {
    let url = url.trim();
    let Some(rest) = url
        .get(..8)
        .filter(|scheme| scheme.eq_ignore_ascii_case("https://"))
        .map(|_| &url[8..])
    else {
        return Err(AccountError::WebhookUrl(format!(
            "{}: sipgate must reach Klingel over https:// (it refuses plain HTTP on sipgate Neo and \
             self-signed certificates everywhere); serve HTTPS (ACME or a certificate in \
             [listener]) or use a tunnel's https:// URL",
            redact(url)
        )));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(AccountError::WebhookUrl(format!(
            "{}: no host name in the URL",
            redact(url)
        )));
    }
    Ok(())
}

/// Points both webhook URLs at `url` and reads them back.
pub fn set(api: &Api, url: &str) -> Result<WebhookState, AccountError> {
    check_url(url)?;
    let url = url.trim();
    write(api, Some(url), |_| url.to_string())
}

/// Empties the webhook URLs that point at `own_url` (both, when Klingel has no URL of its own
/// to tell them by); a URL of another integration stays.
pub fn clear(api: &Api, own_url: Option<&str>) -> Result<WebhookState, AccountError> {
    write(api, own_url, |current| match own_url {
        Some(own) if !same_url(current, own) => current.to_string(),
        _ => String::new(),
    })
}

/// Read, change each URL with `change`, write the whole object back, read again and compare.
fn write(
    api: &Api,
    own_url: Option<&str>,
    change: impl Fn(&str) -> String,
) -> Result<WebhookState, AccountError> {
    let mut settings = api.webhook_settings().map_err(refused_read)?;
    for key in ["incomingUrl", "outgoingUrl"] {
        let next = change(&url_in(&settings, key));
        settings.insert(key.to_string(), Value::String(next));
    }
    api.put_webhook_settings(&settings)
        .map_err(|e| refused_write(e, own_url))?;
    let read_back = api.webhook_settings().map_err(refused_read)?;
    for key in ["incomingUrl", "outgoingUrl"] {
        if url_in(&read_back, key) != url_in(&settings, key) {
            return Err(AccountError::WebhooksRefused(format!(
                "sipgate took the new webhook URLs but still has {key} = {:?}; set it in \
                 sipgate's web app",
                redact(&url_in(&read_back, key))
            )));
        }
    }
    Ok(WebhookState::of(&read_back, own_url))
}

fn url_in(settings: &Map<String, Value>, key: &str) -> String {
    settings
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// A 403 on reading the settings: sipgate.io is not booked, or the token lacks the scope.
fn refused_read(e: ApiError) -> AccountError {
    match e {
        ApiError::Forbidden { .. } => AccountError::WebhooksRefused(
            "sipgate refused to show the webhook settings (403): sipgate.io is not booked for this \
             account (book it in sipgate's feature store), or the token lacks the scope \
             settings:sipgateio:read"
                .to_string(),
        ),
        other => AccountError::Api(other),
    }
}

/// A refused write: a missing scope, a URL sipgate does not take, or a sipgate Neo account,
/// whose webhooks are set per channel in sipgate's web app.
fn refused_write(e: ApiError, own_url: Option<&str>) -> AccountError {
    let by_hand = own_url
        .map(|url| format!(" Enter {} there by hand.", redact(url)))
        .unwrap_or_default();
    match e {
        ApiError::Forbidden { .. } | ApiError::NotFound { .. } => {
            AccountError::WebhooksRefused(format!(
                "sipgate refused to change the webhook URLs: the token lacks the scope \
                 settings:sipgateio:write, or this is a sipgate Neo account, where webhooks are \
                 set per channel in sipgate's web app.{by_hand}"
            ))
        }
        ApiError::BadRequest { .. } => AccountError::WebhooksRefused(format!(
            "sipgate refused the URL as invalid (400): sipgate Neo accounts take only https:// \
             URLs with a certificate sipgate trusts.{by_hand}"
        )),
        other => AccountError::Api(other),
    }
}

/// Whether two URLs name the same place, credentials, case of scheme and host, and a
/// trailing slash aside.
fn same_url(a: &str, b: &str) -> bool {
    let key = |url: &str| {
        let (url, _) = split_userinfo(url.trim());
        let (scheme, rest) = url.split_once("://").unwrap_or(("", &url));
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        format!(
            "{}://{}/{}",
            scheme.to_ascii_lowercase(),
            host.to_ascii_lowercase(),
            path.trim_end_matches('/')
        )
    };
    !a.trim().is_empty() && key(a) == key(b)
}

/// `url` with the password in its userinfo masked, for output and the cache.
pub fn redact(url: &str) -> String {
    match split_userinfo(url) {
        (bare, Some((user, _))) => {
            let (scheme, rest) = bare.split_once("://").unwrap_or(("", &bare));
            format!("{scheme}://{user}:•••@{rest}")
        }
        (bare, None) => bare,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_urls_with_a_host_are_given_to_sipgate() {
        assert!(check_url("https://klingel.example/").is_ok());
        assert!(check_url("HTTPS://sipgate:pw@klingel.example:8443/hook").is_ok());
        let plain = check_url("http://sipgate:secret@klingel.example/").expect_err("http");
        assert!(plain.to_string().contains("https://"), "{plain}");
        assert!(
            !plain.to_string().contains("secret"),
            "the password stays out: {plain}"
        );
        assert!(check_url("https:///path").is_err());
        assert!(check_url("klingel.example").is_err());
    }

    #[test]
    fn urls_compare_without_credentials_and_show_without_the_password() {
        assert!(same_url(
            "https://sipgate:pw@Klingel.example/",
            "https://klingel.example"
        ));
        assert!(!same_url(
            "https://crm.example/hook",
            "https://klingel.example/"
        ));
        assert!(
            !same_url("", "https://klingel.example/"),
            "empty is not ours"
        );
        assert_eq!(
            redact("https://sipgate:s3cret@klingel.example/hook"),
            "https://sipgate:•••@klingel.example/hook"
        );
        assert_eq!(
            redact("https://klingel.example/"),
            "https://klingel.example/"
        );
    }
}
