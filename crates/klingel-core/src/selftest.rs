//! A realistic test call through a running listener, sent the way sipgate sends it: `newCall`,
//! then `answer` and `hangup` to the URLs the reply asked for, each signed with the local test
//! key and re-sent with credentials after a Basic auth challenge. Run against the public URL it
//! checks the whole path: tunnel, TLS, auth, signature, follow-ups.

use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Serialize;

use crate::http::split_userinfo;
use crate::phone::PhoneNumber;
use crate::sipgate::{parse_xml_reply, RejectReason, TestSigner};

/// sipgate's timeout for an answer; a slower listener makes every call wait.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The call to simulate.
#[derive(Debug, Clone)]
pub struct TestCall {
    /// The listener's URL.
    pub url: String,
    /// The caller.
    pub from: PhoneNumber,
    /// The called sipgate number.
    pub to: PhoneNumber,
    /// The sipgate user who is rung and answers.
    pub user: String,
    /// How long it rings before the answer.
    pub ring: Duration,
    /// How long the talk lasts.
    pub talk: Duration,
    /// The caller gives up before anyone answers.
    pub missed: bool,
    /// A CA certificate (PEM) to trust for an HTTPS listener with a private certificate.
    pub ca_file: Option<std::path::PathBuf>,
}

/// One request of the test call and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// `newCall`, `answer` or `hangup`.
    pub step: &'static str,
    /// The HTTP status answered.
    pub status: u16,
    /// Round trip in milliseconds.
    pub ms: u64,
}

/// How the test call went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestCallReport {
    /// Every step returned 200 (a rejected caller counts as success).
    pub ok: bool,
    /// The requests sent.
    pub steps: Vec<Step>,
    /// The listener rejected the caller (a blocked contact).
    pub rejected: Option<RejectReason>,
    /// What went wrong, in one line.
    pub message: Option<String>,
    /// The test caller's number (E.164), to add as a contact and watch its name appear.
    pub caller: String,
}

/// Sends the test call; `progress` hears each step as it completes.
pub fn run(
    call: &TestCall,
    signer: &TestSigner,
    credentials: Option<(String, String)>,
    mut progress: impl FnMut(&Step),
) -> TestCallReport {
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(TIMEOUT));
    if let Some(path) = &call.ca_file {
        // Unreadable: the handshake fails below and the report says so.
        if let Some(ca) = std::fs::read(path)
            .ok()
            .and_then(|pem| ureq::tls::Certificate::from_pem(&pem).ok())
        {
            let roots = ureq::tls::RootCerts::Specific(std::sync::Arc::new(vec![ca]));
            config = config.tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build());
        }
    }
    let client = Client {
        agent: config.build().into(),
        signer,
        credentials,
    };
    let mut report = TestCallReport {
        ok: false,
        steps: Vec::new(),
        rejected: None,
        message: None,
        caller: call.from.e164().to_string(),
    };
    let call_id = crate::random::hex(38).to_uppercase();
    let xcid = crate::random::hex(8);
    let common = [
        ("direction", "in"),
        ("from", call.from.sipgate_digits()),
        ("to", call.to.sipgate_digits()),
        ("callId", call_id.as_str()),
        ("origCallId", call_id.as_str()),
        ("xcid", xcid.as_str()),
    ];
    let user = call.user.as_str();
    let mut send = |step: &'static str, url: &str, body: String| -> Result<String, String> {
        let (status, ms, text) = client
            .post(url, &body)
            .map_err(|e| format!("{step}: {e}"))?;
        let done = Step { step, status, ms };
        progress(&done);
        report.steps.push(done);
        if status != 200 {
            let hint = match status {
                401 => " (wrong username or password)",
                403 => " (signature refused: the listener does not trust this test key)",
                _ => "",
            };
            return Err(format!(
                "{step}: {url} answered {status}{hint}: {}",
                text.trim()
            ));
        }
        Ok(text)
    };

    let outcome = (|| -> Result<Option<RejectReason>, String> {
        let reply = send(
            "newCall",
            &call.url,
            form(
                &[("event", "newCall")],
                &common,
                &[
                    ("user[]", user),
                    ("userId[]", "w0"),
                    ("fullUserId[]", "1234567w0"),
                ],
            ),
        )?;
        let parsed = parse_xml_reply(&reply)
            .map_err(|e| format!("the reply to newCall is not sipgate XML ({e}): {reply:?}"))?;
        if let Some(reason) = parsed.reject {
            return Ok(Some(reason));
        }
        let (Some(on_answer), Some(on_hangup)) = (parsed.on_answer, parsed.on_hangup) else {
            return Err(format!(
                "the reply did not ask for answer/hangup pushes: {reply:?}"
            ));
        };
        std::thread::sleep(call.ring);
        if call.missed {
            send(
                "hangup",
                &on_hangup,
                form(&[("event", "hangup"), ("cause", "cancel")], &common, &[]),
            )?;
            return Ok(None);
        }
        let to = call.to.sipgate_digits();
        send(
            "answer",
            &on_answer,
            form(
                &[("event", "answer")],
                &common,
                &[
                    ("user", user),
                    ("userId", "w0"),
                    ("fullUserId", "1234567w0"),
                    ("answeringNumber", to),
                ],
            ),
        )?;
        std::thread::sleep(call.talk);
        send(
            "hangup",
            &on_hangup,
            form(
                &[("event", "hangup"), ("cause", "normalClearing")],
                &common,
                &[("answeringNumber", to)],
            ),
        )?;
        Ok(None)
    })();
    match outcome {
        Ok(rejected) => {
            report.ok = true;
            report.rejected = rejected;
        }
        Err(message) => report.message = Some(message),
    }
    report
}

/// A form body with keys in sipgate's order; repeated keys like `user[]` stay repeated.
fn form(head: &[(&str, &str)], common: &[(&str, &str)], tail: &[(&str, &str)]) -> String {
    let pairs: Vec<&(&str, &str)> = head.iter().chain(common).chain(tail).collect();
    // Serialising string pairs cannot fail.
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

struct Client<'a> {
    agent: ureq::Agent,
    signer: &'a TestSigner,
    credentials: Option<(String, String)>,
}

impl Client<'_> {
    /// Posts one signed push like sipgate: without credentials first, again with them after a
    /// 401 challenge. Returns status, milliseconds and body.
    fn post(&self, url: &str, body: &str) -> Result<(u16, u64, String), String> {
        let (url, from_url) = split_userinfo(url);
        let credentials = from_url.or_else(|| self.credentials.clone());
        let signature = self.signer.sign(body.as_bytes());
        let started = Instant::now();
        let send = |auth: Option<&(String, String)>| {
            let mut request = self
                .agent
                .post(&url)
                .header(
                    "Content-Type",
                    "application/x-www-form-urlencoded; charset=UTF-8",
                )
                .header("User-Agent", "Klingel test call")
                .header("X-Sipgate-Signature", &signature);
            if let Some((user, password)) = auth {
                let token =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                request = request.header("Authorization", format!("Basic {token}"));
            }
            request
                .send(body)
                .map_err(|e| format!("cannot reach {url}: {e}"))
        };
        let mut response = send(None)?;
        if response.status() == 401 {
            match &credentials {
                Some(credentials) => response = send(Some(credentials))?,
                None => {
                    return Err(format!(
                        "{url} wants Basic auth, but no username/password is configured"
                    ))
                }
            }
        }
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok((status, ms, text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_taken_out_of_the_url_and_decoded() {
        let (url, creds) =
            split_userinfo("https://sipgate:p%40ss%3Aw%20rd@tunnel.example/push?x=1");
        assert_eq!(
            url, "https://tunnel.example/push?x=1",
            "ureq gets the URL without userinfo"
        );
        assert_eq!(
            creds,
            Some(("sipgate".into(), "p@ss:w rd".into())),
            "and the pair decoded"
        );
        assert_eq!(split_userinfo("http://127.0.0.1:8080/").1, None);
    }
}
