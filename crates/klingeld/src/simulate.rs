//! `klingeld simulate`: a realistic call sent through a running listener, the way sipgate does —
//! newCall, then `answer` and `hangup` to the URLs the reply asked for, each signed with the
//! local test key and re-sent with credentials after a Basic auth challenge. Run against the
//! public URL it tests the whole path: tunnel, TLS, auth, signature, follow-ups.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use base64::Engine as _;
use klingel_core::sipgate::{parse_xml_reply, TestSigner};
use klingel_core::PhoneNumber;

use crate::cli::SimulateArgs;
use crate::Context;

/// sipgate's timeout for an answer; a slower listener makes every call wait.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the simulated call.
pub fn run(ctx: &Context, args: &SimulateArgs) -> anyhow::Result<ExitCode> {
    let region = ctx.settings.numbers.region;
    let from = PhoneNumber::parse(&args.from, region)
        .with_context(|| format!("--from {:?}", args.from))?;
    let to = PhoneNumber::parse(&args.to, region).with_context(|| format!("--to {:?}", args.to))?;
    let url = match &args.url {
        Some(url) => url.clone(),
        None => match &ctx.settings.listener.public_url {
            Some(url) => url.clone(),
            None => {
                let mut address = ctx.settings.listener.address;
                if address.ip().is_unspecified() {
                    address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
                }
                format!("http://{address}/")
            }
        },
    };
    let signer =
        TestSigner::load_or_create(&ctx.paths.test_key()).context("loading the local test key")?;
    let credentials = ctx
        .settings
        .listener
        .credentials()
        .map(|(u, p)| (u.to_string(), p.to_string()));
    let client = Client {
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .build()
            .into(),
        signer,
        credentials,
    };

    let call_id = klingel_core::random::hex(38).to_uppercase();
    let xcid = klingel_core::random::hex(8);
    let user = args.user.as_str();
    let common = [
        ("direction", "in"),
        ("from", from.sipgate_digits()),
        ("to", to.sipgate_digits()),
        ("callId", call_id.as_str()),
        ("origCallId", call_id.as_str()),
        ("xcid", xcid.as_str()),
    ];

    println!(
        "calling {url} from {} to {} (callId {call_id})",
        from.display(region),
        to.display(region)
    );
    let new_call = form(
        &[("event", "newCall")],
        &common,
        &[
            ("user[]", user),
            ("userId[]", "w0"),
            ("fullUserId[]", "1234567w0"),
        ],
    );
    let reply = client.post("newCall", &url, &new_call)?;
    let parsed = parse_xml_reply(&reply)
        .with_context(|| format!("the reply to newCall is not sipgate XML: {reply:?}"))?;
    if let Some(reason) = parsed.reject {
        println!(
            "caller rejected ({}) — a blocked contact; no answer or hangup follows",
            reason.as_str()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(on_answer), Some(on_hangup)) = (parsed.on_answer, parsed.on_hangup) else {
        bail!("the reply did not ask for answer/hangup pushes (no onAnswer/onHangup): {reply:?}");
    };

    std::thread::sleep(Duration::from_secs_f64(args.ring_secs.max(0.0)));
    if args.missed {
        let hangup = form(&[("event", "hangup"), ("cause", "cancel")], &common, &[]);
        client.post("hangup (caller gave up)", &on_hangup, &hangup)?;
        println!("done: a missed call from {}", from.display(region));
        return Ok(ExitCode::SUCCESS);
    }
    let answer = form(
        &[("event", "answer")],
        &common,
        &[
            ("user", user),
            ("userId", "w0"),
            ("fullUserId", "1234567w0"),
            ("answeringNumber", to.sipgate_digits()),
        ],
    );
    client.post("answer", &on_answer, &answer)?;
    std::thread::sleep(Duration::from_secs_f64(args.talk_secs.max(0.0)));
    let hangup = form(
        &[("event", "hangup"), ("cause", "normalClearing")],
        &common,
        &[("answeringNumber", to.sipgate_digits())],
    );
    client.post("hangup", &on_hangup, &hangup)?;
    println!(
        "done: call from {} answered by {user} and hung up",
        from.display(region)
    );
    Ok(ExitCode::SUCCESS)
}

fn form(head: &[(&str, &str)], common: &[(&str, &str)], tail: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    serializer.extend_pairs(head.iter().chain(common).chain(tail));
    serializer.finish()
}

struct Client {
    agent: ureq::Agent,
    signer: TestSigner,
    credentials: Option<(String, String)>,
}

impl Client {
    /// Posts one signed push like sipgate: without credentials first, again with them after a
    /// 401 challenge. Returns the reply body of a 200.
    fn post(&self, step: &str, url: &str, body: &str) -> anyhow::Result<String> {
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
                .header("User-Agent", "klingeld simulate")
                .header("X-Sipgate-Signature", &signature);
            if let Some((user, password)) = auth {
                let token =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                request = request.header("Authorization", format!("Basic {token}"));
            }
            request.send(body)
        };
        let mut response = send(None).with_context(|| format!("{step}: cannot reach {url}"))?;
        if response.status() == 401 {
            let Some(credentials) = &credentials else {
                bail!("{step}: {url} wants Basic auth, but no username/password is configured");
            };
            response =
                send(Some(credentials)).with_context(|| format!("{step}: cannot reach {url}"))?;
        }
        let status = response.status();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let elapsed = started.elapsed();
        println!("{step}: {} in {} ms", status.as_u16(), elapsed.as_millis());
        if status != 200 {
            let hint = match status.as_u16() {
                401 => " (wrong username or password)",
                403 => {
                    " (signature refused: does the listener use this data directory's test key?)"
                }
                _ => "",
            };
            bail!("{step}: {url} answered {status}{hint}: {}", text.trim());
        }
        Ok(text)
    }
}

/// Splits `https://user:pass@host/…` into the URL without credentials and the decoded pair.
fn split_userinfo(url: &str) -> (String, Option<(String, String)>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return (url.to_string(), None);
    };
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let (user, password) = rest[..at].split_once(':').unwrap_or((&rest[..at], ""));
    (
        format!("{scheme}://{}", &rest[at + 1..]),
        Some((decode(user), decode(password))),
    )
}
