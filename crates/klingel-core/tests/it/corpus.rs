//! A corpus of bad input over real HTTP: broken encodings, hostile text, oversized fields,
//! wrong methods and framing, protocol garbage. For every case: no 5xx, nothing stored for a
//! refused push, and afterwards the listener still answers and the log still reads cleanly.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use klingel_core::config::NumbersConfig;
use klingel_core::domain::CallFilter;

use crate::support::TestServer;

/// One case: what is written (pieces sent with a pause between them).
struct Case {
    name: &'static str,
    pieces: Vec<Vec<u8>>,
}

/// A complete request with a form body and `Connection: close`.
fn form(name: &'static str, body: impl Into<Vec<u8>>) -> Case {
    raw_post(name, "application/x-www-form-urlencoded", body.into())
}

fn json(name: &'static str, body: impl Into<Vec<u8>>) -> Case {
    raw_post(name, "application/json", body.into())
}

fn raw_post(name: &'static str, content_type: &str, body: Vec<u8>) -> Case {
    let mut request = format!(
        "POST /sipgate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend(body);
    Case {
        name,
        pieces: vec![request],
    }
}

/// Bytes as they are, in one piece.
fn bytes(name: &'static str, request: impl Into<Vec<u8>>) -> Case {
    Case {
        name,
        pieces: vec![request.into()],
    }
}

const PUSH: &str = "event=newCall&direction=in&from=492111234567&to=4921155500000&callId=";

fn cases() -> Vec<Case> {
    let long = |n: usize| "x".repeat(n);
    let chunked_head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    let mut header_flood = String::from("POST / HTTP/1.1\r\nHost: x\r\n");
    for i in 0..300 {
        header_flood.push_str(&format!("X-Flood-{i}: {}\r\n", long(20)));
    }
    header_flood.push_str("Content-Length: 0\r\nConnection: close\r\n\r\n");
    let mut over_limit_chunks = String::from(chunked_head);
    for _ in 0..70 {
        over_limit_chunks.push_str(&format!("400\r\n{}\r\n", long(1024)));
    }
    over_limit_chunks.push_str("0\r\n\r\n");
    let slow_body = format!("{PUSH}SLOW1");
    vec![
        // Broken encodings.
        form("truncated escape at the end", format!("{PUSH}T1&from=%4")),
        form("lone percent", format!("{PUSH}T2&user%5B%5D=%")),
        form("escape with non-hex digits", format!("{PUSH}T3&from=%ZZ")),
        form("raw invalid UTF-8", [format!("{PUSH}T4&user%5B%5D=").into_bytes(), vec![0xff, 0xfe, 0xc3]].concat()),
        form("escaped invalid UTF-8", format!("{PUSH}T5&user%5B%5D=%FF%FE%C3")),
        form("raw NUL in a value", [format!("{PUSH}T6&user%5B%5D=a").into_bytes(), vec![0], b"b".to_vec()].concat()),
        form("escaped NUL in the callId", "event=newCall&direction=in&from=4930123&to=4930456&callId=T7%00x"),
        form("overlong UTF-8 escape", format!("{PUSH}T8&user%5B%5D=%C0%AF")),
        // Hostile text.
        form("bidi override in a user name", format!("{PUSH}H1&user%5B%5D=%E2%80%AEevil")),
        form("bidi isolate in from", "event=newCall&direction=in&from=49%E2%81%A6211&to=4930456&callId=H2"),
        form("terminal escape in a user name", format!("{PUSH}H3&user%5B%5D=%1B%5B31mred%1B%5B0m")),
        form("newlines in a user name", format!("{PUSH}H4&user%5B%5D=a%0D%0Ab")),
        form("letters as the caller", "event=newCall&direction=in&from=call+me&to=4930456&callId=H5"),
        form("plus signs as the caller", "event=newCall&direction=in&from=%2B%2B%2B&to=4930456&callId=H6"),
        form("markup as the caller", "event=newCall&direction=in&from=%3Cb%3E1%3C%2Fb%3E&to=4930456&callId=H7"),
        form("anonymous caller", "event=newCall&direction=in&from=anonymous&to=4930456&callId=H8"),
        form("unknown direction", "event=newCall&direction=sideways&from=4930123&to=4930456&callId=H9"),
        form("unknown hangup cause", "event=hangup&cause=%F0%9F%92%A5&callId=H1"),
        // Sizes and shapes.
        form("a 60 KB callId", format!("{PUSH}{}", long(60 * 1024))),
        form("a 30 KB user name", format!("{PUSH}S1&user%5B%5D={}", long(30 * 1024))),
        form("5,000 users", format!("{PUSH}S2{}", "&user%5B%5D=u".repeat(5000))),
        form("10,000 empty pairs", format!("{PUSH}S3{}", "&".repeat(10_000))),
        form("a 20 KB key", format!("{PUSH}S4&{}=1", long(20 * 1024))),
        form("a huge DTMF", format!("event=dtmf&callId=S5&dtmf={}", "1".repeat(40_000))),
        form("the body at the limit", {
            let mut body = format!("{PUSH}S6&pad=");
            body.push_str(&long(64 * 1024 - body.len()));
            body
        }),
        form("the body one byte over the limit", {
            let mut body = format!("{PUSH}S7&pad=");
            body.push_str(&long(64 * 1024 + 1 - body.len()));
            body
        }),
        form("empty body", ""),
        form("only separators", "&&&&&&"),
        form("only equals signs", "===="),
        form("no event", "callId=S8&from=4930123"),
        form("no callId", "event=newCall&from=4930123"),
        form("empty callId", "event=newCall&callId=&from=4930123"),
        form("two events", "event=newCall&event=hangup&callId=S9"),
        form("unknown event", "event=transfer&callId=S10"),
        // JSON.
        json("deeply nested JSON", "[".repeat(60_000)),
        json("JSON that is an array", "[]"),
        json("JSON that is a string", "\"newCall\""),
        json("JSON with wrong types", r#"{"event":1,"callId":{"a":[]},"user":7}"#),
        json("truncated JSON", r#"{"event":"newCall","callId":"J1""#),
        json("JSON with 12,000 users", format!(r#"{{"event":"newCall","callId":"J2","user":[{}"u"]}}"#, "\"u\",".repeat(12_000))),
        json("JSON with a NUL escape", r#"{"event":"newCall","callId":"J3","from":"\u0000"}"#),
        // Methods, paths and framing.
        bytes("GET", "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        bytes("PUT", "PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        bytes("DELETE", "DELETE /sipgate HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        bytes("OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        bytes("HEAD", "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        bytes("an invented method", "BREW / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        bytes("a non-numeric Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: abc\r\nConnection: close\r\n\r\nevent=x"),
        bytes("two different Content-Lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5\r\nContent-Length: 9\r\nConnection: close\r\n\r\nevent=new"),
        bytes("Content-Length and chunked", format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{PUSH}C1\r\n0\r\n\r\n", PUSH.len() + 2)),
        bytes("a Content-Length over the limit, no body", "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n"),
        bytes("a valid chunked push", format!("{chunked_head}{:x}\r\n{PUSH}C2\r\n0\r\n\r\n", PUSH.len() + 2)),
        bytes("chunked over the limit", over_limit_chunks),
        bytes("a malformed chunk size", format!("{chunked_head}zz\r\nevent=newCall\r\n0\r\n\r\n")),
        bytes("300 headers", header_flood),
        bytes("a 100 KB header", format!("POST / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", long(100 * 1024))),
        bytes("a 10 KB path", format!("POST /{} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", long(10 * 1024))),
        bytes("a path with NUL escapes and dots", "POST /../%00/..%2f..%2fetc HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        bytes("HTTP/1.0 with a body", format!("POST / HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{PUSH}P1", PUSH.len() + 2)),
        bytes("no Host header", format!("POST / HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{PUSH}P2", PUSH.len() + 2)),
        bytes("two pushes pipelined in one write", format!(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {len}\r\n\r\n{PUSH}P3POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n{PUSH}P4",
            len = PUSH.len() + 2
        )),
        bytes("a TLS ClientHello on the plain port", vec![0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x00, 0x01, 0x02, 0x03]),
        bytes("binary garbage", vec![0, 1, 2, 3, 0xff, 0xfe, b'\r', b'\n', b'\r', b'\n']),
        bytes("a lower-case request line", "post / http/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        bytes("Expect: 100-continue", format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nExpect: 100-continue\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{PUSH}P5", PUSH.len() + 2)),
        bytes("no Content-Type", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nConnection: close\r\n\r\nevent=hello"),
        bytes("text/plain", "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nevent=hello"),
        bytes("a Content-Type with odd parameters", format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded; charset=latin1; x=\"\\\"\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{PUSH}P6", PUSH.len() + 2)),
        bytes("a request line with no version", "POST /\r\n\r\n"),
        Case {
            name: "a slow body, a few bytes at a time",
            pieces: {
                let head = format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", slow_body.len()).into_bytes();
                let mut pieces = vec![head];
                pieces.extend(slow_body.as_bytes().chunks(20).map(<[u8]>::to_vec));
                pieces
            },
        },
        Case {
            name: "a body that stops half way",
            pieces: vec![format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\nConnection: close\r\n\r\n{PUSH}HALF").into_bytes()],
        },
    ]
}

/// Sends a case on a fresh connection (so refusals of earlier cases slow nothing down) and
/// returns the status codes of the answers, in order; none when the listener just closed.
fn send(server: &TestServer, case: &Case) -> Vec<u16> {
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    for (i, piece) in case.pieces.iter().enumerate() {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(40));
        }
        // The listener may close early (e.g. on a huge header): that is an answer too.
        if stream.write_all(piece).is_err() {
            break;
        }
    }
    if case.name == "a body that stops half way" {
        let _ = stream.shutdown(std::net::Shutdown::Write);
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer)
        .match_indices("HTTP/1.")
        .filter_map(|(at, _)| {
            let rest = &answer[at..];
            std::str::from_utf8(rest.get(9..12)?).ok()?.parse().ok()
        })
        .collect()
}

/// Characters no shown text may carry: controls and bidi overrides or isolates.
fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[test]
fn bad_input_never_gets_a_5xx_never_stores_a_refused_push_and_leaves_everything_readable() {
    let server = TestServer::start(|s| s.listener.verify_signature = false);
    let store = server.monitor.store();
    let log = || {
        store
            .calls(
                &CallFilter {
                    limit: Some(10_000),
                    ..CallFilter::default()
                },
                &NumbersConfig::default(),
            )
            .expect("the log reads")
    };
    let cases = cases();
    assert!(cases.len() >= 50, "{} cases", cases.len());
    let started = Instant::now();
    for case in &cases {
        let before = log().len();
        let statuses = send(&server, case);
        assert!(
            statuses.iter().all(|s| *s < 500),
            "{}: answered {statuses:?}",
            case.name
        );
        let stored = log().len() - before;
        let accepted = statuses.iter().filter(|s| **s == 200).count();
        assert!(
            stored <= accepted,
            "{}: {stored} calls stored for {accepted} accepted pushes ({statuses:?})",
            case.name
        );
        assert_eq!(
            server.get("/healthz").status,
            200,
            "{}: the listener is alive",
            case.name
        );
    }
    eprintln!(
        "{} bad-input cases in {:.1} s",
        cases.len(),
        started.elapsed().as_secs_f64()
    );

    // What was stored reads cleanly: no control or bidi characters in anything shown.
    for call in log() {
        let shown = [
            call.remote_display.clone().unwrap_or_default(),
            call.party.name.clone().unwrap_or_default(),
            call.party.number.clone().unwrap_or_default(),
            call.rung.join(" "),
            call.path.join(" "),
            call.line_display.clone().unwrap_or_default(),
        ]
        .join(" ");
        assert!(
            !shown.chars().any(unsafe_char),
            "call {} shows unsafe text: {shown:?}",
            call.id
        );
    }
    store.recent_requests(1000).expect("the request log reads");
}
