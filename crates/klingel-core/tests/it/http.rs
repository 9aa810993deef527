//! The listener over real loopback HTTP, with a real SQLite file.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use klingel_core::calls::CallState;
use klingel_core::config::NumbersConfig;
use klingel_core::domain::{CallFilter, ContactInput, NumberInput};
use klingel_core::Region;

use crate::support::{fixture, TestServer};

fn unverified() -> TestServer {
    TestServer::start(|s| s.listener.verify_signature = false)
}

fn add_blocked(server: &TestServer, name: &str, number: &str) {
    let input = ContactInput {
        name: name.into(),
        blocked: true,
        numbers: vec![NumberInput {
            number: number.into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    server
        .monitor
        .store()
        .add_contact(&input, Region::DE)
        .expect("add contact");
}

fn calls(server: &TestServer) -> Vec<klingel_core::domain::CallEntry> {
    server
        .monitor
        .store()
        .calls(&CallFilter::default(), &NumbersConfig::default())
        .expect("list calls")
}

#[test]
fn newcall_answer_hangup_make_one_answered_call_in_the_log() {
    let server = unverified();
    let mut updates = server.monitor.subscribe();
    let reply = server.post_form("/io/push", fixture("newcall-group.form"));
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(
        reply.content_type.starts_with("application/xml"),
        "sipgate requires application/xml"
    );
    let follow_up = format!("http://{}/io/push", server.addr);
    assert!(
        reply.body.contains(&format!("onAnswer=\"{follow_up}\""))
            && reply.body.contains(&format!("onHangup=\"{follow_up}\"")),
        "without public_url the follow-ups point back at the URL sipgate used: {}",
        reply.body
    );
    let update = updates
        .try_recv()
        .expect("a CallUpdate is broadcast once the push is stored");
    let klingel_core::Update::Call(update) = update else {
        panic!("expected a call update")
    };
    assert_eq!(update.call.summary.state, CallState::Ringing);
    assert_eq!(update.previous, None, "a new call has no previous state");

    assert_eq!(
        server
            .post_form("/io/push", fixture("docs-answer.form"))
            .status,
        200
    );
    assert_eq!(
        server
            .post_form("/io/push", fixture("docs-hangup.form"))
            .status,
        200
    );
    let log = calls(&server);
    assert_eq!(
        log.len(),
        1,
        "three pushes for callId 123456 are one call: {log:?}"
    );
    let call = &log[0];
    assert_eq!(call.summary.state, CallState::Ended);
    assert_eq!(call.summary.answered_by.as_deref(), Some("John Doe"));
    assert_eq!(
        call.summary.users,
        vec!["Alice", "Bob"],
        "the group that was rung is kept"
    );
    assert_eq!(
        call.remote_display.as_deref(),
        Some("0211 1234567"),
        "shown as people write it"
    );
    assert_eq!(
        server.monitor.store().request_count().expect("count"),
        3,
        "every push is recorded"
    );
}

#[test]
fn public_url_and_basic_auth_shape_the_follow_up_urls() {
    let server = TestServer::start(|s| {
        s.listener.verify_signature = false;
        s.listener.public_url = Some("https://klingel.example.org/hook?x=1&y=2".into());
        s.listener.username = Some("sipgate".into());
        s.listener.password = Some("s3cret!".into());
    });
    let reply = server.post(
        "/anything",
        fixture("newcall-group.form"),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Authorization", "Basic c2lwZ2F0ZTpzM2NyZXQh"),
        ],
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(
        reply.body.contains(
            "onAnswer=\"https://sipgate:s3cret%21@klingel.example.org/hook?x=1&amp;y=2\""
        ),
        "credentials ride in the URL, and & is escaped in XML: {}",
        reply.body
    );
}

#[test]
fn forwarded_headers_name_the_public_url_when_none_is_configured() {
    let server = unverified();
    let reply = server.post(
        "/p",
        fixture("newcall-group.form"),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "5db3608b7597.ngrok.io"),
        ],
    );
    assert!(
        reply
            .body
            .contains("onAnswer=\"https://5db3608b7597.ngrok.io/p\""),
        "{}",
        reply.body
    );
}

#[test]
fn missing_credentials_get_a_basic_challenge() {
    let server = TestServer::start(|s| {
        s.listener.verify_signature = false;
        s.listener.username = Some("sipgate".into());
        s.listener.password = Some("pw".into());
    });
    let reply = server.post_form("/", fixture("newcall-group.form"));
    assert_eq!(reply.status, 401);
    assert!(
        reply
            .www_authenticate
            .as_deref()
            .is_some_and(|v| v.starts_with("Basic realm=\"Klingel\"")),
        "sipgate only sends credentials after this challenge: {reply:?}"
    );
    let wrong = server.post(
        "/",
        fixture("newcall-group.form"),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Authorization", "Basic c2lwZ2F0ZTpwdw==x"),
        ],
    );
    assert_eq!(wrong.status, 401, "malformed credentials are refused too");
    let ok = server.post(
        "/",
        fixture("newcall-group.form"),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Authorization", "Basic c2lwZ2F0ZTpwdw=="),
        ],
    );
    assert_eq!(ok.status, 200, "{ok:?}");
    assert!(
        calls(&server).len() == 1,
        "only the authenticated push became a call"
    );
}

#[test]
fn signature_check_accepts_sipgates_real_push_and_refuses_tampering() {
    let server = TestServer::start(|_| {});
    assert!(
        server.settings.listener.verify_signature,
        "verification is on by default"
    );
    let body = fixture("signed-newcall-2021.form");
    let signature = fixture("signed-newcall-2021.sig").trim();
    let form = (
        "Content-Type",
        "application/x-www-form-urlencoded; charset=UTF-8",
    );
    let good = server.post("/", body, &[form, ("X-Sipgate-Signature", signature)]);
    assert_eq!(
        good.status, 200,
        "sipgate's own signed push must pass: {good:?}"
    );

    let tampered = body.replace("491776249000", "491776249001");
    let bad = server.post("/", &tampered, &[form, ("X-Sipgate-Signature", signature)]);
    assert_eq!(bad.status, 403, "a changed caller number must not verify");
    assert!(
        bad.body.contains("does not match"),
        "the reason is given: {}",
        bad.body
    );

    let missing = server.post("/", body, &[form]);
    assert_eq!(missing.status, 403);
    assert!(
        missing.body.to_lowercase().contains("missing"),
        "{}",
        missing.body
    );

    server.wait_for_requests(3);
    let local = server.post_test_signed("/", fixture("newcall-group.form"));
    assert_eq!(
        local.status, 200,
        "Klingel's own test key is accepted for self-tests"
    );
    let recorded = server
        .monitor
        .store()
        .recent_requests(10)
        .expect("requests");
    let verdicts: Vec<&str> = recorded
        .iter()
        .map(|r| r.record.signature.as_str())
        .collect();
    assert_eq!(
        verdicts,
        vec!["ok (local test key)", "missing", "mismatch", "ok (sipgate)"],
        "each request's verdict is recorded, newest first"
    );
    assert_eq!(
        calls(&server).len(),
        2,
        "refused pushes never reach the log"
    );
}

/// A missed call from the test caller, as sipgate sends it.
const MISSED_NEW: &str =
    "event=newCall&direction=in&from=492111234567&to=4915791234567&callId=REAL1&user%5B%5D=Alice";
const MISSED_HANGUP: &str =
    "event=hangup&cause=cancel&callId=REAL1&from=492111234567&to=4915791234567&direction=in";

#[test]
fn a_push_signed_only_by_the_local_test_key_is_a_test_call_kept_apart() {
    let server = TestServer::start(|_| {});
    add_blocked(&server, "Cold Caller", "0211 1234567");
    // A real call from the blocked number that rings on.
    let real = server.post_signed(
        "/",
        "event=newCall&direction=in&from=4930123456&to=4915791234567&callId=REAL1&user%5B%5D=Alice",
    );
    assert_eq!(real.status, 200, "{real:?}");

    // Whoever holds the test key tries to end the real call, and calls from the blocked number.
    let hangup = server.post_test_signed(
        "/",
        "event=hangup&cause=normalClearing&callId=REAL1&direction=in",
    );
    assert_eq!(hangup.status, 200, "a test push is taken: {hangup:?}");
    let blocked = server.post_test_signed("/", fixture("newcall-group.form"));
    assert!(
        !blocked.body.contains("Reject"),
        "a test call never learns who is blocked: {}",
        blocked.body
    );
    let hung_up = server.post_test_signed("/", fixture("docs-hangup.form"));
    assert_eq!(hung_up.status, 200);

    let log = calls(&server);
    let real = log
        .iter()
        .find(|c| !c.summary.test)
        .expect("the real call is there");
    assert_eq!(
        real.summary.state,
        CallState::Ringing,
        "a test hangup with a real callId must not end the real call"
    );
    let tests: Vec<_> = log.iter().filter(|c| c.summary.test).collect();
    assert_eq!(
        tests.len(),
        2,
        "the stray hangup and the test call: {log:#?}"
    );
    let test_call = tests
        .iter()
        .find(|c| c.summary.remote.as_deref() == Some("492111234567"))
        .expect("the test call from the blocked number");
    assert_eq!(
        test_call.summary.state,
        CallState::Ended,
        "never missed, never rejected"
    );
    assert_eq!(test_call.outcome.code.as_str(), "not_answered");
    assert!(!test_call.outcome.unseen);
    assert_eq!(
        server.monitor.store().unseen_missed().expect("count"),
        0,
        "test calls never count as missed"
    );
    let json = serde_json::to_value(test_call).expect("json");
    assert_eq!(json["test"], true, "scripts see the mark: {json}");

    let verdicts: Vec<String> = server
        .monitor
        .store()
        .recent_requests(1)
        .expect("requests")
        .into_iter()
        .map(|r| r.record.signature)
        .collect();
    assert_eq!(
        verdicts,
        vec!["ok (local test key)"],
        "the verdict names the key"
    );
}

#[test]
fn a_test_call_out_never_marks_a_real_missed_call_as_called_back() {
    let server = TestServer::start(|_| {});
    assert_eq!(server.post_signed("/", MISSED_NEW).status, 200);
    assert_eq!(server.post_signed("/", MISSED_HANGUP).status, 200);
    let outgoing = "event=newCall&direction=out&from=4915791234567&to=492111234567&callId=OUT1&user%5B%5D=Alice";
    assert_eq!(server.post_test_signed("/", outgoing).status, 200);
    let missed = calls(&server)
        .into_iter()
        .find(|c| c.summary.state == CallState::Missed)
        .expect("the real missed call");
    assert!(
        missed.called_back_at.is_none(),
        "a test call settles nothing: {missed:#?}"
    );
    // A real call back does.
    let real_out = outgoing.replace("OUT1", "OUT2");
    assert_eq!(server.post_signed("/", &real_out).status, 200);
    let missed = calls(&server)
        .into_iter()
        .find(|c| c.summary.state == CallState::Missed)
        .expect("the real missed call");
    assert!(missed.called_back_at.is_some(), "a real call back counts");
}

#[test]
fn test_calls_can_be_refused_by_setting_even_with_the_check_off() {
    for verify in [true, false] {
        let server = TestServer::start(|s| {
            s.listener.accept_test_calls = false;
            s.listener.verify_signature = verify;
        });
        let refused = server.post_test_signed("/", fixture("newcall-group.form"));
        assert_eq!(refused.status, 403, "verify={verify}: {refused:?}");
        assert_eq!(refused.body.trim(), "test signature not accepted");
        assert!(
            calls(&server).is_empty(),
            "nothing stored for a refused push"
        );
        let real = server.post_signed("/", fixture("newcall-group.form"));
        assert_eq!(real.status, 200, "real pushes still pass");
        assert_eq!(calls(&server).len(), 1);
    }
    // With the check off and test calls on, Klingel still knows its own test pushes.
    let server = TestServer::start(|s| s.listener.verify_signature = false);
    assert_eq!(
        server
            .post_test_signed("/", fixture("newcall-group.form"))
            .status,
        200
    );
    assert!(calls(&server)[0].summary.test);
}

#[test]
fn oversized_body_is_refused_with_413() {
    let server = unverified();
    let body = format!("event=newCall&callId=1&pad={}", "x".repeat(70 * 1024));
    let reply = server.post_form("/", &body);
    assert_eq!(reply.status, 413, "{reply:?}");
}

#[test]
fn other_content_types_are_refused_with_415() {
    let server = unverified();
    let reply = server.post(
        "/",
        "event=newCall&callId=1",
        &[("Content-Type", "text/plain")],
    );
    assert_eq!(reply.status, 415);
    assert!(
        reply.body.contains("text/plain"),
        "the reason names what was sent: {}",
        reply.body
    );
}

#[test]
fn bad_bodies_are_refused_with_400_and_a_reason() {
    let server = unverified();
    for (body, reason) in [
        ("direction=in&callId=1", "event"),
        ("event=newCall&from=4930123", "callId"),
        ("event=newCall&callId=1&user%5B%5D=%FF", "UTF-8"),
    ] {
        let reply = server.post_form("/", body);
        assert_eq!(reply.status, 400, "{body}: {reply:?}");
        assert!(
            reply.body.contains(reason),
            "{body}: the reason must name the problem: {}",
            reply.body
        );
        assert_eq!(reply.body.trim().lines().count(), 1, "one line");
    }
    assert!(
        calls(&server).is_empty(),
        "nothing malformed is stored as a call"
    );
    assert_eq!(
        server.wait_for_requests(3),
        3,
        "but every attempt is recorded"
    );
}

#[test]
fn unknown_event_is_acknowledged_and_ignored() {
    let server = unverified();
    let reply = server.post_form("/", "event=somethingElse&callId=9");
    assert_eq!(reply.status, 200);
    assert!(reply.body.contains("<Response/>"), "{}", reply.body);
    assert!(calls(&server).is_empty());
}

#[test]
fn blocked_caller_is_rejected_as_busy() {
    let server = unverified();
    add_blocked(&server, "Cold Caller", "0211 1234567");
    let reply = server.post_form("/", fixture("newcall-group.form"));
    assert_eq!(reply.status, 200);
    assert!(
        reply.body.contains("<Reject reason=\"busy\"/>"),
        "{}",
        reply.body
    );
    assert!(
        !reply.body.contains("onAnswer"),
        "a rejected call needs no follow-ups"
    );
    let log = calls(&server);
    assert_eq!(log[0].summary.state, CallState::Rejected);
    assert_eq!(
        log[0].contact.as_ref().map(|m| m.contact.name.as_str()),
        Some("Cold Caller")
    );
}

#[test]
fn json_pushes_get_json_replies() {
    let server = unverified();
    let json = ("Content-Type", "application/json");
    let reply = server.post(
        "/",
        r#"{"event":"newCall","direction":"in","from":"4930123456","to":"4921155500000","callId":"J1","user":["Alice"]}"#,
        &[json],
    );
    assert_eq!(reply.status, 200);
    assert!(reply.content_type.starts_with("application/json"));
    assert_eq!(reply.body, r#"{"action":"accept"}"#);
    add_blocked(&server, "Blocked", "+49 30 999999");
    let reject = server.post(
        "/",
        r#"{"event":"newCall","from":"4930999999","callId":"J2","user":[]}"#,
        &[json],
    );
    assert_eq!(reject.body, r#"{"action":"reject","reason":"busy"}"#);
    let broken = server.post("/", "{not json", &[json]);
    assert_eq!(broken.status, 400);
}

#[test]
fn health_check_and_wrong_methods() {
    let server = unverified();
    let health = server.get("/healthz");
    assert_eq!((health.status, health.body.as_str()), (200, "ok\n"));
    assert_eq!(server.get("/io/push").status, 405, "pushes are POSTs");
}

#[test]
fn slow_client_is_cut_off() {
    let server = unverified();
    let mut stream = std::net::TcpStream::connect(server.addr).expect("connect");
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
        .expect("partial headers");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    let started = Instant::now();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "a client that never finishes its headers is disconnected by the listener, not by us"
    );
}

#[test]
fn connections_over_the_cap_are_closed_unserved_and_places_free_up() {
    let server = TestServer::start(|s| {
        s.listener.verify_signature = false;
        s.listener.max_connections = 2;
    });
    let idle: Vec<_> = (0..2)
        .map(|_| std::net::TcpStream::connect(server.addr).expect("connect"))
        .collect();
    // Let the listener accept both before the third arrives.
    std::thread::sleep(Duration::from_millis(100));
    let mut third = std::net::TcpStream::connect(server.addr).expect("the kernel accepts");
    third
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    let _ = third.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut answer = Vec::new();
    let _ = third.read_to_end(&mut answer);
    assert!(
        answer.is_empty(),
        "over the cap: closed without an answer, got {:?}",
        String::from_utf8_lossy(&answer)
    );
    // Closing the idle ones frees their places.
    drop(idle);
    std::thread::sleep(Duration::from_millis(200));
    let reply = server.get("/healthz");
    assert_eq!(reply.status, 200, "closed connections free their places");
}

#[test]
fn restart_keeps_the_log() {
    let server = unverified();
    server.post_form("/", fixture("newcall-group.form"));
    server.post_form("/", fixture("docs-answer.form"));
    let dir = server.stop();
    let server = TestServer::start_in(dir, |s| s.listener.verify_signature = false);
    let log = calls(&server);
    assert_eq!(log.len(), 1, "acknowledged pushes survive a restart");
    assert_eq!(log[0].summary.state, CallState::Answered);
    server.post_form("/", fixture("docs-hangup.form"));
    assert_eq!(
        calls(&server)[0].summary.state,
        CallState::Ended,
        "the restarted listener continues the call"
    );
    assert!(server.data_dir().join("klingel.sqlite3").exists());
}

/// The Setup window words each key a push can be verified by; it reads the verdicts the
/// listener records (above), so a renamed key would silently read as a bare "ok".
#[test]
fn setup_tells_apart_every_key_a_push_is_verified_by() {
    const SETUP: &str = include_str!("../../../../ui/setup.js");
    let local = format!("ok ({}", klingel_core::http::LOCAL_TEST_KEY);
    for verdict in ["ok (sipgate)", "ok (configured key)", local.as_str()] {
        assert!(
            SETUP.contains(&format!("'{verdict}")),
            "setup.js does not tell {verdict:?} apart"
        );
    }
}
