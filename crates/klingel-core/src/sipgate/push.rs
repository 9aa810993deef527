//! Parsing of sipgate.io push bodies (`newCall`, `answer`, `hangup`, `dtmf`).
//!
//! sipgate sends `application/x-www-form-urlencoded`; some integrations forward
//! the same fields as a JSON object, so both are accepted and end up in one
//! [`Push`]. The parser is deliberately lenient about everything except the two
//! fields a receiver cannot work without (`event` and `callId`), because the
//! documentation and real traffic disagree on which fields are always present.

use std::collections::HashMap;
use std::str::FromStr;

/// How a push body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// `application/x-www-form-urlencoded`, what sipgate itself sends.
    Form,
    /// A JSON object with the same keys, sent by some relays and integrations.
    Json,
}

/// Whether the call leg is incoming or outgoing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// A call to one of the account's numbers.
    In,
    /// A call placed by one of the account's users.
    Out,
}

impl Direction {
    /// The wire spelling, `"in"` or `"out"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::In => "in",
            Self::Out => "out",
        }
    }

    /// Reads the wire spelling; anything else is `None` because sipgate defines no other value.
    pub fn from_wire(value: &str) -> Option<Self> {
        match value {
            "in" => Some(Self::In),
            "out" => Some(Self::Out),
            _ => None,
        }
    }
}

impl FromStr for Direction {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_wire(s).ok_or(())
    }
}

/// The kind of a push, without its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A call starts ringing (or an outgoing call is placed).
    NewCall,
    /// The call was answered.
    Answer,
    /// The call ended.
    Hangup,
    /// Digits collected by a `<Gather>`.
    Dtmf,
}

impl EventKind {
    /// The wire spelling of the `event` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NewCall => "newCall",
            Self::Answer => "answer",
            Self::Hangup => "hangup",
            Self::Dtmf => "dtmf",
        }
    }

    /// Reads the wire spelling; case-sensitive because sipgate's names are.
    pub fn from_wire(value: &str) -> Option<Self> {
        match value {
            "newCall" => Some(Self::NewCall),
            "answer" => Some(Self::Answer),
            "hangup" => Some(Self::Hangup),
            "dtmf" => Some(Self::Dtmf),
            _ => None,
        }
    }
}

/// One parsed push with a known event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// Identifier of this call leg; opaque (historically numeric, now long hex).
    pub call_id: String,
    /// Identifier of the first leg across forwards and transfers.
    pub orig_call_id: Option<String>,
    /// Identifier that stays the same over a whole forward chain.
    pub xcid: Option<String>,
    /// Incoming or outgoing; `None` when absent or not recognised.
    pub direction: Option<Direction>,
    /// Calling number exactly as sent (e.g. `492111234567` or `anonymous`).
    pub from: Option<String>,
    /// Called number exactly as sent.
    pub to: Option<String>,
    /// Originally dialled number when the call was diverted before reaching sipgate.io.
    pub diversion: Option<String>,
    /// Event-specific payload.
    pub event: Event,
    /// Signed only by Klingel's local test key: a test call (set by the listener, never by
    /// the body).
    pub test: bool,
}

/// What test call ids start with, so a test push can never reach a real call's legs.
pub const TEST_ID_PREFIX: &str = "test:";

impl Push {
    /// This push as a test call: marked, and with its `callId`, `origCallId` and `xcid` moved
    /// apart, so that whoever holds the test key can neither end, join nor mark a real call.
    pub fn into_test(mut self) -> Self {
        let apart = |id: &mut String| {
            if !id.starts_with(TEST_ID_PREFIX) {
                id.insert_str(0, TEST_ID_PREFIX);
            }
        };
        apart(&mut self.call_id);
        self.orig_call_id.as_mut().map(apart);
        self.xcid.as_mut().map(apart);
        self.test = true;
        self
    }

    /// The kind of event this push carries.
    pub fn kind(&self) -> EventKind {
        match self.event {
            Event::NewCall { .. } => EventKind::NewCall,
            Event::Answer { .. } => EventKind::Answer,
            Event::Hangup { .. } => EventKind::Hangup,
            Event::Dtmf { .. } => EventKind::Dtmf,
        }
    }
}

/// Event-specific fields of a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `newCall`: the users being rung (incoming) or the calling user (outgoing), in wire order.
    NewCall {
        /// Display names from `user[]`; empty names are kept because sipgate sends them.
        users: Vec<String>,
        /// Short user ids from `userId[]`, e.g. `w0`.
        user_ids: Vec<String>,
        /// Account-qualified user ids from `fullUserId[]`, e.g. `1234567w0`.
        full_user_ids: Vec<String>,
    },
    /// `answer`: who picked up.
    Answer {
        /// Name of the answering user.
        user: Option<String>,
        /// Short id of the answering user.
        user_id: Option<String>,
        /// Account-qualified id of the answering user.
        full_user_id: Option<String>,
        /// Number of the destination that answered.
        answering_number: Option<String>,
    },
    /// `hangup`: why the call ended.
    Hangup {
        /// Raw hangup cause such as `normalClearing`; unknown values are kept.
        cause: Option<String>,
        /// Number of the destination that had answered.
        answering_number: Option<String>,
    },
    /// `dtmf`: digits entered during a `<Gather>`.
    Dtmf {
        /// The digits as a string, so leading zeros survive; empty when none were entered.
        digits: String,
    },
}

/// Result of parsing a push body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "one value per HTTP request; boxing would only complicate matching for callers"
)]
pub enum Parsed {
    /// A push with one of the four documented events.
    Push(Push),
    /// An event name sipgate does not document; carries that name so it can be logged.
    UnknownEvent(String),
}

/// Why a push body was rejected; `Display` is a one-line reason fit for an HTTP 400 body.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    /// The `event` parameter is missing or empty.
    #[error("missing parameter: event")]
    MissingEvent,
    /// The `callId` parameter is missing or empty.
    #[error("missing parameter: callId")]
    MissingCallId,
    /// The raw form body is not UTF-8.
    #[error("request body is not valid UTF-8")]
    BodyNotUtf8,
    /// A key or value is not UTF-8 after percent-decoding.
    #[error("parameter {key:?} is not valid UTF-8")]
    NotUtf8 {
        /// The (lossily decoded, shortened) key the bad bytes belong to.
        key: String,
    },
    /// The JSON body does not parse.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// The JSON body parses but is not an object.
    #[error("JSON body is not an object")]
    JsonNotObject,
    /// A known JSON key has a value that is neither a string nor a number.
    #[error("parameter {key:?} must be a string or a number")]
    JsonWrongType {
        /// The offending key.
        key: String,
    },
}

/// Parses a push body; `event` and `callId` are the only required fields.
pub fn parse(body: &[u8], format: BodyFormat) -> Result<Parsed, ParseError> {
    let fields = match format {
        BodyFormat::Form => Fields::from_form(body)?,
        BodyFormat::Json => Fields::from_json(body)?,
    };
    fields.into_parsed()
}

/// Longest key echoed back in an error, so a hostile body cannot bloat the 400 response.
const MAX_KEY_IN_ERROR: usize = 64;

fn key_for_error(key: &str) -> String {
    key.chars().take(MAX_KEY_IN_ERROR).collect()
}

/// The three repeated `newCall` parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListKey {
    User,
    UserId,
    FullUserId,
}

impl ListKey {
    fn from_base(base: &str) -> Option<Self> {
        match base {
            "user" => Some(Self::User),
            "userId" => Some(Self::UserId),
            "fullUserId" => Some(Self::FullUserId),
            _ => None,
        }
    }

    fn index(self) -> usize {
        match self {
            Self::User => 0,
            Self::UserId => 1,
            Self::FullUserId => 2,
        }
    }
}

/// Splits `user[]`, `user[][0]` or `user[0]` into `user`; `None` when there is no bracket suffix.
///
/// Only empty or numeric brackets count, because those are the only forms any
/// known sender produces (sipgate: `[]`; its node library's `qs`: `[][0]`).
fn strip_array_suffix(key: &str) -> Option<&str> {
    let mut base = key;
    let mut stripped = false;
    while let Some(rest) = base.strip_suffix(']') {
        let open = rest.rfind('[')?;
        let inside = rest.get(open + 1..)?;
        if !inside.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        base = rest.get(..open)?;
        stripped = true;
    }
    stripped.then_some(base)
}

/// Key/value pairs of one body, before the event decides what they mean.
#[derive(Debug, Default)]
struct Fields {
    /// Plain keys; the last occurrence wins.
    scalars: HashMap<String, String>,
    /// Entries of `user`, `userId`, `fullUserId` in wire order (bracketed or plain).
    lists: [Vec<String>; 3],
}

impl Fields {
    fn add(&mut self, key: &str, value: String) {
        let value = clean(key, &value);
        if let Some(list) = strip_array_suffix(key).and_then(ListKey::from_base) {
            self.lists[list.index()].push(value);
            return;
        }
        if let Some(list) = ListKey::from_base(key) {
            // A plain `user=` is an entry on newCall and the scalar on answer; keep both views.
            self.lists[list.index()].push(value.clone());
        }
        self.scalars.insert(key.to_owned(), value);
    }

    fn from_form(body: &[u8]) -> Result<Self, ParseError> {
        let text = std::str::from_utf8(body).map_err(|_| ParseError::BodyNotUtf8)?;
        let mut fields = Self::default();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = match String::from_utf8(form_decode(raw_key)) {
                Ok(key) => key,
                Err(err) => {
                    let lossy = String::from_utf8_lossy(err.as_bytes());
                    return Err(ParseError::NotUtf8 {
                        key: key_for_error(&lossy),
                    });
                }
            };
            let value =
                String::from_utf8(form_decode(raw_value)).map_err(|_| ParseError::NotUtf8 {
                    key: key_for_error(&key),
                })?;
            fields.add(&key, value);
        }
        Ok(fields)
    }

    fn from_json(body: &[u8]) -> Result<Self, ParseError> {
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| ParseError::InvalidJson(e.to_string()))?;
        let serde_json::Value::Object(object) = value else {
            return Err(ParseError::JsonNotObject);
        };
        let mut fields = Self::default();
        for (key, value) in object {
            let base = strip_array_suffix(&key).unwrap_or(&key);
            let is_list = ListKey::from_base(base).is_some();
            if !is_list && !SCALAR_KEYS.contains(&key.as_str()) {
                continue;
            }
            match value {
                serde_json::Value::Array(items) if is_list => {
                    // Adding under the bracketed name keeps arrays out of the answer scalars.
                    let list_key = format!("{base}[]");
                    for item in items {
                        if let Some(text) = json_scalar(&key, item)? {
                            fields.add(&list_key, text);
                        }
                    }
                }
                other => {
                    if let Some(text) = json_scalar(&key, other)? {
                        fields.add(&key, text);
                    }
                }
            }
        }
        Ok(fields)
    }

    fn scalar(&self, key: &str) -> Option<&str> {
        self.scalars.get(key).map(String::as_str)
    }

    /// The value of `key`, treating an empty value like a missing one.
    fn non_empty(&self, key: &str) -> Option<String> {
        self.scalar(key)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    fn into_parsed(mut self) -> Result<Parsed, ParseError> {
        let event = self.non_empty("event").ok_or(ParseError::MissingEvent)?;
        let Some(kind) = EventKind::from_wire(&event) else {
            return Ok(Parsed::UnknownEvent(event));
        };
        let call_id = self.non_empty("callId").ok_or(ParseError::MissingCallId)?;
        let event = match kind {
            EventKind::NewCall => {
                let [users, user_ids, full_user_ids] = std::mem::take(&mut self.lists);
                Event::NewCall {
                    users,
                    user_ids,
                    full_user_ids,
                }
            }
            EventKind::Answer => Event::Answer {
                user: self.non_empty("user"),
                user_id: self.non_empty("userId"),
                full_user_id: self.non_empty("fullUserId"),
                answering_number: self.non_empty("answeringNumber"),
            },
            EventKind::Hangup => Event::Hangup {
                cause: self.non_empty("cause"),
                answering_number: self.non_empty("answeringNumber"),
            },
            EventKind::Dtmf => Event::Dtmf {
                digits: self.scalar("dtmf").unwrap_or_default().to_owned(),
            },
        };
        Ok(Parsed::Push(Push {
            call_id,
            orig_call_id: self
                .non_empty("origCallId")
                .or_else(|| self.non_empty("originalCallId")),
            xcid: self.non_empty("xcid"),
            direction: self.scalar("direction").and_then(Direction::from_wire),
            from: self.scalar("from").map(str::to_owned),
            to: self.scalar("to").map(str::to_owned),
            diversion: self.non_empty("diversion"),
            event,
            test: false,
        }))
    }
}

/// Longest number value kept (E.164 has at most 15 digits; SIP addresses are longer).
const MAX_NUMBER_CHARS: usize = 64;
/// Longest other value kept (user names, ids, causes).
const MAX_TEXT_CHARS: usize = 200;
/// Keys whose values are numbers.
const NUMBER_KEYS: &[&str] = &["from", "to", "diversion", "answeringNumber"];

/// What a push value may carry to people: no control characters (terminal escapes, line
/// breaks), no bidi overrides or isolates (which make text read other than it is), and no
/// more than a caller or a user name ever needs. The raw body stays in the request log.
fn clean(key: &str, value: &str) -> String {
    let max = if NUMBER_KEYS.contains(&key) {
        MAX_NUMBER_CHARS
    } else {
        MAX_TEXT_CHARS
    };
    value
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .take(max)
        .collect()
}

/// The invisible characters that change the direction text is shown in.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Plain keys the JSON reader type-checks; everything else is ignored like unknown form keys.
const SCALAR_KEYS: &[&str] = &[
    "event",
    "callId",
    "origCallId",
    "originalCallId",
    "xcid",
    "direction",
    "from",
    "to",
    "diversion",
    "answeringNumber",
    "cause",
    "dtmf",
];

/// Turns a JSON value into the string the form encoding would have carried; `null` is absent.
fn json_scalar(key: &str, value: serde_json::Value) -> Result<Option<String>, ParseError> {
    match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(text) => Ok(Some(text)),
        serde_json::Value::Number(number) => Ok(Some(number.to_string())),
        serde_json::Value::Bool(_) | serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
            Err(ParseError::JsonWrongType {
                key: key_for_error(key),
            })
        }
    }
}

/// Form-decodes one key or value: `+` is a space, `%XX` is a byte, a stray `%` stays literal.
fn form_decode(raw: &str) -> Vec<u8> {
    // `+` first, so an encoded `%2B` stays a plus.
    percent_encoding::percent_decode_str(&raw.replace('+', " ")).collect()
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    const GROUP: &[u8] = include_bytes!("../../tests/fixtures/sipgate/newcall-group.form");
    const GROUP_UNENCODED: &[u8] =
        include_bytes!("../../tests/fixtures/sipgate/docs-newcall-unencoded-brackets.form");
    const UMLAUT: &[u8] = include_bytes!("../../tests/fixtures/sipgate/newcall-umlaut-user.form");
    const OUTGOING: &[u8] = include_bytes!("../../tests/fixtures/sipgate/newcall-outgoing.form");
    const ANONYMOUS: &[u8] =
        include_bytes!("../../tests/fixtures/sipgate/newcall-anonymous-2017.form");
    const DTMF: &[u8] = include_bytes!("../../tests/fixtures/sipgate/docs-dtmf.form");
    const DTMF_NO_DIGITS: &[u8] =
        include_bytes!("../../tests/fixtures/sipgate/dtmf-no-digits.form");
    const ANSWER: &[u8] = include_bytes!("../../tests/fixtures/sipgate/docs-answer.form");
    const HANGUP: &[u8] = include_bytes!("../../tests/fixtures/sipgate/docs-hangup.form");
    const SIGNED_2021: &[u8] =
        include_bytes!("../../tests/fixtures/sipgate/signed-newcall-2021.form");
    const LIBRARY_VECTOR: &[u8] =
        include_bytes!("../../tests/fixtures/sipgate/signed-library-vector.form");

    const HEX_CALL_ID: &str =
        "54566B150B0C0D3A5D534D5F565D7C5F54535A5C5B53525A7E5B5D5745504457444C425D5057";

    fn s(value: &str) -> Option<String> {
        Some(value.to_owned())
    }

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    fn push_of(body: &[u8], format: BodyFormat) -> Push {
        match parse(body, format) {
            Ok(Parsed::Push(push)) => push,
            other => panic!(
                "expected a push from {:?}, got {other:?}",
                String::from_utf8_lossy(body)
            ),
        }
    }

    /// A push with only `callId` set, to be completed by struct update syntax.
    fn bare(call_id: &str, event: Event) -> Push {
        Push {
            call_id: call_id.to_owned(),
            orig_call_id: None,
            xcid: None,
            direction: None,
            from: None,
            to: None,
            diversion: None,
            event,
            test: false,
        }
    }

    fn docs_group_call() -> Push {
        Push {
            direction: Some(Direction::In),
            from: s("492111234567"),
            to: s("4915791234567"),
            ..bare(
                "123456",
                Event::NewCall {
                    users: list(&["Alice", "Bob"]),
                    user_ids: list(&["w0", "w1"]),
                    full_user_ids: list(&["1234567w0", "1234567w1"]),
                },
            )
        }
    }

    fn group_call() -> Push {
        Push {
            orig_call_id: s("123456"),
            xcid: s("0a1b2c3d4e5f6a7b"),
            ..docs_group_call()
        }
    }

    fn umlaut_call() -> Push {
        Push {
            orig_call_id: s("77A1"),
            xcid: s("5aada1e696b94cec"),
            direction: Some(Direction::In),
            from: s("4917612345678"),
            to: s("4921155500000"),
            ..bare(
                "77A1",
                Event::NewCall {
                    users: list(&["Jörg Müller"]),
                    user_ids: list(&["w3"]),
                    full_user_ids: list(&["1234567w3"]),
                },
            )
        }
    }

    fn outgoing_call() -> Push {
        Push {
            direction: Some(Direction::Out),
            from: s("4930600000000"),
            to: s("4912347114711"),
            ..bare(
                "8621106404543334274-3",
                Event::NewCall {
                    users: list(&["user 1"]),
                    user_ids: vec![],
                    full_user_ids: vec![],
                },
            )
        }
    }

    fn anonymous_call() -> Push {
        Push {
            direction: Some(Direction::In),
            from: s("anonymous"),
            to: s("445603000514"),
            ..bare(
                "4932215337270853042",
                Event::NewCall {
                    users: vec![],
                    user_ids: vec![],
                    full_user_ids: vec![],
                },
            )
        }
    }

    fn dtmf(digits: &str) -> Push {
        bare(
            "123456",
            Event::Dtmf {
                digits: digits.to_owned(),
            },
        )
    }

    fn docs_answer() -> Push {
        Push {
            direction: Some(Direction::In),
            from: s("492111234567"),
            to: s("4915791234567"),
            ..bare(
                "123456",
                Event::Answer {
                    user: s("John Doe"),
                    user_id: s("w0"),
                    full_user_id: s("1234567w0"),
                    answering_number: s("21199999999"),
                },
            )
        }
    }

    fn docs_hangup() -> Push {
        Push {
            direction: Some(Direction::In),
            from: s("492111234567"),
            to: s("4915791234567"),
            ..bare(
                "123456",
                Event::Hangup {
                    cause: s("normalClearing"),
                    answering_number: s("4921199999999"),
                },
            )
        }
    }

    fn signed_2021_call() -> Push {
        Push {
            orig_call_id: s(HEX_CALL_ID),
            xcid: s("8419b3450b75cd19"),
            direction: Some(Direction::In),
            from: s("491776249000"),
            to: s("4928559389086"),
            ..bare(
                HEX_CALL_ID,
                Event::NewCall {
                    users: list(&[""]),
                    user_ids: vec![],
                    full_user_ids: vec![],
                },
            )
        }
    }

    #[rstest]
    #[case::group_call_as_sipgate_sends_it(GROUP, group_call())]
    #[case::group_call_with_unencoded_brackets(GROUP_UNENCODED, docs_group_call())]
    #[case::percent_encoded_utf8_user_name(UMLAUT, umlaut_call())]
    #[case::outgoing_call_with_plus_for_space(OUTGOING, outgoing_call())]
    #[case::withheld_caller_in_the_2017_format(ANONYMOUS, anonymous_call())]
    #[case::dtmf_with_one_digit(DTMF, dtmf("1"))]
    #[case::dtmf_without_the_dtmf_field(DTMF_NO_DIGITS, dtmf(""))]
    #[case::dtmf_with_an_empty_dtmf_field(b"event=dtmf&dtmf=&callId=123456", dtmf(""))]
    #[case::answer_with_a_named_user(ANSWER, docs_answer())]
    #[case::hangup_with_normal_clearing(HANGUP, docs_hangup())]
    #[case::real_signed_2021_call_with_an_empty_user(SIGNED_2021, signed_2021_call())]
    fn each_form_fixture_parses_into_exactly_the_expected_push(
        #[case] body: &[u8],
        #[case] expected: Push,
    ) {
        assert_eq!(
            push_of(body, BodyFormat::Form),
            expected,
            "every field of the fixture must survive parsing unchanged"
        );
    }

    #[test]
    fn encoded_and_unencoded_brackets_give_the_identical_push() {
        let unencoded = String::from_utf8_lossy(GROUP).replace("%5B%5D", "[]");
        assert_eq!(
            push_of(unencoded.as_bytes(), BodyFormat::Form),
            push_of(GROUP, BodyFormat::Form),
            "curl-style `user[]` and sipgate's `user%5B%5D` decode to the same key"
        );
    }

    #[test]
    fn the_library_vector_is_rejected_for_its_empty_call_id() {
        assert_eq!(
            parse(LIBRARY_VECTOR, BodyFormat::Form),
            Err(ParseError::MissingCallId),
            "the node library's vector sends `callId=`, and a push without a call id is unusable"
        );
    }

    #[test]
    fn indexed_array_keys_from_the_node_library_count_as_array_entries() {
        let body = String::from_utf8_lossy(LIBRARY_VECTOR).replace("callId=&", "callId=L1&");
        let expected = Push {
            direction: Some(Direction::In),
            from: s("4912354678"),
            to: s("49999999"),
            ..bare(
                "L1",
                Event::NewCall {
                    users: list(&["TestUser"]),
                    user_ids: list(&["123456789"]),
                    full_user_ids: list(&["123456789"]),
                },
            )
        };
        assert_eq!(
            push_of(body.as_bytes(), BodyFormat::Form),
            expected,
            "`user[][0]` must land in users, and empty originalCallId/xcid must become None"
        );
    }

    #[rstest]
    #[case::bracket_index("event=newCall&callId=1&user[0]=A&user[1]=B", &["A", "B"])]
    #[case::plain_user_on_new_call("event=newCall&callId=1&user=Solo", &["Solo"])]
    #[case::mixed_forms_keep_wire_order("event=newCall&callId=1&user[]=A&user=B&user%5B%5D%5B0%5D=C", &["A", "B", "C"])]
    #[case::stray_percent_stays_literal("event=newCall&callId=1&user[]=50%+off%", &["50% off%"])]
    #[case::non_numeric_index_is_not_an_array("event=newCall&callId=1&user[x]=A", &[])]
    fn user_entries_are_collected_from_every_accepted_key_form(
        #[case] body: &str,
        #[case] users: &[&str],
    ) {
        let push = push_of(body.as_bytes(), BodyFormat::Form);
        let Event::NewCall { users: got, .. } = push.event else {
            panic!("a newCall body must give a NewCall event");
        };
        assert_eq!(
            got,
            list(users),
            "users must list exactly the recognised entries in order"
        );
    }

    #[rstest]
    #[case::unknown_event("event=somethingElse", Ok(Parsed::UnknownEvent("somethingElse".to_owned())))]
    #[case::unknown_event_with_call_id("event=somethingElse&callId=1", Ok(Parsed::UnknownEvent("somethingElse".to_owned())))]
    #[case::missing_event("callId=1&from=49", Err(ParseError::MissingEvent))]
    #[case::empty_event("event=&callId=1", Err(ParseError::MissingEvent))]
    #[case::empty_body("", Err(ParseError::MissingEvent))]
    #[case::missing_call_id("event=newCall&from=49", Err(ParseError::MissingCallId))]
    #[case::empty_call_id("event=hangup&callId=", Err(ParseError::MissingCallId))]
    #[case::invalid_utf8_value("event=newCall&callId=1&user%5B%5D=%FF", Err(ParseError::NotUtf8 { key: "user[]".to_owned() }))]
    #[case::invalid_utf8_key("event=newCall&callId=1&%FF=1", Err(ParseError::NotUtf8 { key: "\u{FFFD}".to_owned() }))]
    fn malformed_or_unknown_form_bodies_give_the_documented_outcome(
        #[case] body: &str,
        #[case] expected: Result<Parsed, ParseError>,
    ) {
        assert_eq!(
            parse(body.as_bytes(), BodyFormat::Form),
            expected,
            "only event and callId are required, and unknown events are acknowledged, not failed"
        );
    }

    #[test]
    fn a_body_that_is_not_utf8_is_rejected_before_decoding() {
        assert_eq!(
            parse(b"event=newCall&callId=1&user[]=\xff", BodyFormat::Form),
            Err(ParseError::BodyNotUtf8),
            "sipgate declares charset=UTF-8, so raw non-UTF-8 bytes mean a broken sender"
        );
    }

    #[rstest]
    #[case::missing_event(ParseError::MissingEvent, "missing parameter: event")]
    #[case::missing_call_id(ParseError::MissingCallId, "missing parameter: callId")]
    #[case::bad_utf8(ParseError::NotUtf8 { key: "user[]".to_owned() }, "parameter \"user[]\" is not valid UTF-8")]
    #[case::newline_in_key(ParseError::NotUtf8 { key: "a\nb".to_owned() }, "parameter \"a\\nb\" is not valid UTF-8")]
    fn error_messages_are_short_single_lines(#[case] error: ParseError, #[case] message: &str) {
        assert_eq!(
            error.to_string(),
            message,
            "the message goes into an HTTP 400 body and a log line"
        );
    }

    #[rstest]
    #[case::unknown_cause_kept_raw("event=hangup&callId=1&cause=fooBar", Event::Hangup { cause: s("fooBar"), answering_number: None })]
    #[case::empty_cause_is_none("event=hangup&callId=1&cause=", Event::Hangup { cause: None, answering_number: None })]
    #[case::leading_zero_digits_kept("event=dtmf&callId=1&dtmf=0123", Event::Dtmf { digits: "0123".to_owned() })]
    #[case::unknown_keys_ignored("event=dtmf&callId=1&dtmf=5&foo=bar&x%5B%5D=y&=z", Event::Dtmf { digits: "5".to_owned() })]
    #[case::empty_answer_user_is_none("event=answer&callId=1&user=&userId=w0", Event::Answer { user: None, user_id: s("w0"), full_user_id: None, answering_number: None })]
    fn event_payload_fields_follow_the_wire_rules(#[case] body: &str, #[case] expected: Event) {
        assert_eq!(
            push_of(body.as_bytes(), BodyFormat::Form).event,
            expected,
            "payload values are opaque strings; empty optional ones mean absent"
        );
    }

    #[test]
    fn common_fields_follow_the_wire_rules() {
        let push = push_of(
            b"event=hangup&callId=1&callId=2&originalCallId=9&direction=sideways&from=&diversion=",
            BodyFormat::Form,
        );
        assert_eq!(
            push.call_id, "2",
            "a repeated scalar key takes its last value"
        );
        assert_eq!(
            push.orig_call_id,
            s("9"),
            "the node library's `originalCallId` alias is accepted"
        );
        assert_eq!(push.direction, None, "an unknown direction is not guessed");
        assert_eq!(
            push.from,
            s(""),
            "an empty `from` is kept so a caller can tell it was sent"
        );
        assert_eq!(push.to, None, "a missing `to` stays missing");
        assert_eq!(
            push.diversion, None,
            "an empty diversion means no diversion"
        );
        assert_eq!(push.kind(), EventKind::Hangup, "kind() reflects the event");
    }

    #[rstest]
    #[case::new_call(EventKind::NewCall, "newCall")]
    #[case::answer(EventKind::Answer, "answer")]
    #[case::hangup(EventKind::Hangup, "hangup")]
    #[case::dtmf(EventKind::Dtmf, "dtmf")]
    fn event_kinds_round_trip_their_wire_names(#[case] kind: EventKind, #[case] wire: &str) {
        assert_eq!(kind.as_str(), wire, "as_str must give sipgate's spelling");
        assert_eq!(
            EventKind::from_wire(wire),
            Some(kind),
            "from_wire must invert as_str"
        );
    }

    #[rstest]
    #[case::incoming(Direction::In, "in")]
    #[case::outgoing(Direction::Out, "out")]
    fn directions_round_trip_their_wire_names(#[case] direction: Direction, #[case] wire: &str) {
        assert_eq!(
            direction.as_str(),
            wire,
            "as_str must give sipgate's spelling"
        );
        assert_eq!(
            Direction::from_wire(wire),
            Some(direction),
            "from_wire must invert as_str"
        );
        assert_eq!(
            wire.parse(),
            Ok(direction),
            "FromStr must agree with from_wire"
        );
    }

    #[test]
    fn a_json_new_call_with_user_arrays_parses_like_the_form_body() {
        let body = br#"{"event":"newCall","direction":"in","from":"4917812345","to":"4920312345",
            "callId":"A1","origCallId":"A1","user":["Oliver","voicemail"],"userId":["w1"],
            "fullUserId":["249w1"],"xcid":"5aada1e696b94cec","diversion":"4920399"}"#;
        let expected = Push {
            orig_call_id: s("A1"),
            xcid: s("5aada1e696b94cec"),
            direction: Some(Direction::In),
            from: s("4917812345"),
            to: s("4920312345"),
            diversion: s("4920399"),
            ..bare(
                "A1",
                Event::NewCall {
                    users: list(&["Oliver", "voicemail"]),
                    user_ids: list(&["w1"]),
                    full_user_ids: list(&["249w1"]),
                },
            )
        };
        assert_eq!(
            push_of(body, BodyFormat::Json),
            expected,
            "JSON relays carry the same fields as the form body"
        );
    }

    #[rstest]
    #[case::single_string(r#"{"event":"newCall","callId":"A","user":"Solo"}"#, &["Solo"])]
    #[case::bracketed_key(r#"{"event":"newCall","callId":"A","user[]":["x","y"]}"#, &["x", "y"])]
    #[case::numbers_and_nulls(r#"{"event":"newCall","callId":"A","user":[7,null,""]}"#, &["7", ""])]
    fn json_user_lists_accept_every_reasonable_shape(#[case] body: &str, #[case] users: &[&str]) {
        let Event::NewCall { users: got, .. } = push_of(body.as_bytes(), BodyFormat::Json).event
        else {
            panic!("a newCall body must give a NewCall event");
        };
        assert_eq!(
            got,
            list(users),
            "users must hold every string or number entry in order"
        );
    }

    #[test]
    fn json_numbers_become_decimal_strings() {
        let push = push_of(
            br#"{"event":"dtmf","callId":4932215337270853042,"from":492111234567,"dtmf":123,"to":null}"#,
            BodyFormat::Json,
        );
        assert_eq!(
            push.call_id, "4932215337270853042",
            "a numeric callId is kept exactly"
        );
        assert_eq!(
            push.from,
            s("492111234567"),
            "a numeric phone number becomes its digits"
        );
        assert_eq!(push.to, None, "null counts as missing");
        assert_eq!(
            push.event,
            Event::Dtmf {
                digits: "123".to_owned()
            },
            "numeric dtmf digits become a string"
        );
    }

    #[test]
    fn a_json_answer_uses_the_singular_user_fields() {
        let body = br#"{"event":"answer","callId":"B","user":"voicemail","userId":"w0",
            "fullUserId":"1w0","answeringNumber":"4921","extra":{"nested":[true]}}"#;
        assert_eq!(
            push_of(body, BodyFormat::Json).event,
            Event::Answer {
                user: s("voicemail"),
                user_id: s("w0"),
                full_user_id: s("1w0"),
                answering_number: s("4921"),
            },
            "answer carries one user as plain strings; unknown keys of any type are ignored"
        );
    }

    #[rstest]
    #[case::array("[1,2]", Err(ParseError::JsonNotObject))]
    #[case::string(r#""newCall""#, Err(ParseError::JsonNotObject))]
    #[case::unknown_event(r#"{"event":"somethingElse"}"#, Ok(Parsed::UnknownEvent("somethingElse".to_owned())))]
    #[case::missing_call_id(r#"{"event":"newCall","callId":null}"#, Err(ParseError::MissingCallId))]
    #[case::object_call_id(r#"{"event":"newCall","callId":{"a":1}}"#, Err(ParseError::JsonWrongType { key: "callId".to_owned() }))]
    #[case::bool_in_user_list(r#"{"event":"newCall","callId":"1","user":[true]}"#, Err(ParseError::JsonWrongType { key: "user".to_owned() }))]
    fn unusable_json_bodies_give_the_documented_outcome(
        #[case] body: &str,
        #[case] expected: Result<Parsed, ParseError>,
    ) {
        assert_eq!(
            parse(body.as_bytes(), BodyFormat::Json),
            expected,
            "JSON bodies follow the same required-field rules and reject unusable shapes"
        );
    }

    #[rstest]
    #[case::truncated(r#"{"event":"#)]
    #[case::empty("")]
    #[case::form_body_sent_as_json("event=newCall&callId=1")]
    fn broken_json_is_reported_as_invalid_json(#[case] body: &str) {
        assert!(
            matches!(
                parse(body.as_bytes(), BodyFormat::Json),
                Err(ParseError::InvalidJson(_))
            ),
            "a body that does not parse as JSON must say so rather than report a missing field"
        );
    }

    #[test]
    fn push_text_loses_control_and_bidi_characters_and_is_capped() {
        let long_name = "x".repeat(300);
        let body = format!(
            "event=newCall&direction=in&callId=A&from={}&to=4921155500000\
             &user%5B%5D=Eve%E2%80%AE%07lin%1B%5B31m&user%5B%5D={long_name}",
            "4".repeat(100)
        );
        let push = push_of(body.as_bytes(), BodyFormat::Form);
        let Event::NewCall { users, .. } = &push.event else {
            panic!("a newCall: {push:?}");
        };
        assert_eq!(
            users[0], "Evelin[31m",
            "no bidi override, bell or escape reaches a window or a terminal"
        );
        assert_eq!(users[1].chars().count(), 200, "names are capped");
        assert_eq!(
            push.from.as_deref().map(str::len),
            Some(64),
            "numbers are capped shorter"
        );
    }
}
