//! The answer to a push: the XML `<Response>` sipgate reads, a JSON twin for
//! JSON integrations, and a small XML reader for Klingel's self-test client.
//!
//! Klingel only ever accepts (optionally subscribing to follow-up events) or
//! rejects; redirecting calls is out of scope, so only those shapes are rendered.

use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::Reader;

/// The XML declaration every sipgate doc example starts with.
const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// How a rejected call is presented to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RejectReason {
    /// The caller hears a busy tone.
    #[default]
    Busy,
    /// The call is blocked outright.
    Rejected,
}

impl RejectReason {
    /// The value of the `reason` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Busy => "busy",
            Self::Rejected => "rejected",
        }
    }
}

/// What Klingel tells sipgate to do with a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Let the call proceed, optionally subscribing to `answer`/`hangup` pushes at these URLs.
    Accept {
        /// Absolute URL for the `answer` push.
        on_answer: Option<String>,
        /// Absolute URL for the `hangup` push.
        on_hangup: Option<String>,
    },
    /// Refuse the call.
    Reject(RejectReason),
    /// A bare acknowledgement (for follow-up and unknown events, whose replies sipgate discards).
    Empty,
}

/// Renders the reply as the XML document sipgate expects.
pub fn render_xml(reply: &Reply) -> String {
    let mut xml = String::from(XML_DECLARATION);
    match reply {
        Reply::Empty => xml.push_str("<Response/>"),
        Reply::Accept {
            on_answer,
            on_hangup,
        } => {
            xml.push_str("<Response");
            for (name, value) in [("onAnswer", on_answer), ("onHangup", on_hangup)] {
                if let Some(value) = value {
                    let escaped = quick_xml::escape::escape(value.as_str());
                    xml.push_str(&format!(" {name}=\"{escaped}\""));
                }
            }
            xml.push_str("/>");
        }
        Reply::Reject(reason) => {
            let reason = reason.as_str();
            xml.push_str(&format!(
                "<Response><Reject reason=\"{reason}\"/></Response>"
            ));
        }
    }
    xml
}

/// Renders the reply as JSON for integrations that post JSON.
pub fn render_json(reply: &Reply) -> String {
    let value = match reply {
        Reply::Accept { .. } | Reply::Empty => serde_json::json!({ "action": "accept" }),
        Reply::Reject(reason) => {
            serde_json::json!({ "action": "reject", "reason": reason.as_str() })
        }
    };
    value.to_string()
}

/// The parts of an XML reply a push sender acts on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedReply {
    /// URL to send the `answer` push to.
    pub on_answer: Option<String>,
    /// URL to send the `hangup` push to.
    pub on_hangup: Option<String>,
    /// Set when the response contains `<Reject>`; a missing reason means `Rejected`.
    pub reject: Option<RejectReason>,
    /// Set when the response contains `<Hangup/>`.
    pub hangup: bool,
}

/// Why an XML reply could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReplyParseError {
    /// The text is not well-formed XML.
    #[error("reply is not well-formed XML: {0}")]
    Xml(#[from] quick_xml::Error),
    /// The document has no root element at all.
    #[error("reply has no <Response> element")]
    NoResponse,
    /// The root element is something other than `<Response>`.
    #[error("reply root element is <{0}>, expected <Response>")]
    WrongRoot(String),
}

/// Parses an XML reply, keeping the follow-up URLs, `<Reject>` and `<Hangup/>` and ignoring other actions.
pub fn parse_xml_reply(xml: &str) -> Result<ParsedReply, ReplyParseError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut parsed = ParsedReply::default();
    // Depth 0 is outside the root, 1 is inside <Response>.
    let mut depth = 0usize;
    let mut seen_root = false;
    loop {
        let (element, has_children) = match reader.read_event()? {
            XmlEvent::Start(element) => (element, true),
            XmlEvent::Empty(element) => (element, false),
            XmlEvent::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 && seen_root {
                    break;
                }
                continue;
            }
            XmlEvent::Eof => break,
            XmlEvent::Text(_)
            | XmlEvent::CData(_)
            | XmlEvent::Comment(_)
            | XmlEvent::Decl(_)
            | XmlEvent::PI(_)
            | XmlEvent::DocType(_)
            | XmlEvent::GeneralRef(_) => continue,
        };
        let name = element.name();
        let name = name.as_ref();
        if depth == 0 {
            if name != b"Response" {
                return Err(ReplyParseError::WrongRoot(
                    String::from_utf8_lossy(name).into_owned(),
                ));
            }
            seen_root = true;
            parsed.on_answer = attribute(&element, "onAnswer")?;
            parsed.on_hangup = attribute(&element, "onHangup")?;
        } else if depth == 1 {
            match name {
                b"Reject" => {
                    let reason = attribute(&element, "reason")?;
                    parsed.reject = Some(match reason.as_deref() {
                        Some("busy") => RejectReason::Busy,
                        // The grammar's default is `rejected`; unknown values are treated the same.
                        _ => RejectReason::Rejected,
                    });
                }
                b"Hangup" => parsed.hangup = true,
                _ => {}
            }
        }
        if has_children {
            depth += 1;
        } else if depth == 0 {
            // A self-closing <Response/> is the whole document.
            break;
        }
    }
    if seen_root {
        Ok(parsed)
    } else {
        Err(ReplyParseError::NoResponse)
    }
}

/// The unescaped value of attribute `name`, if present.
fn attribute(element: &BytesStart<'_>, name: &str) -> Result<Option<String>, ReplyParseError> {
    let Some(attr) = element
        .try_get_attribute(name)
        .map_err(quick_xml::Error::from)?
    else {
        return Ok(None);
    };
    let value = attr.normalized_value(quick_xml::XmlVersion::Implicit1_0)?;
    Ok(Some(value.into_owned()))
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn accept(on_answer: Option<&str>, on_hangup: Option<&str>) -> Reply {
        Reply::Accept {
            on_answer: on_answer.map(str::to_owned),
            on_hangup: on_hangup.map(str::to_owned),
        }
    }

    #[rstest]
    #[case::empty(Reply::Empty, "<Response/>")]
    #[case::accept_without_follow_ups(accept(None, None), "<Response/>")]
    #[case::accept_with_follow_ups(
        accept(Some("https://k.example/push/answer"), Some("https://k.example/push/hangup")),
        r#"<Response onAnswer="https://k.example/push/answer" onHangup="https://k.example/push/hangup"/>"#
    )]
    #[case::accept_with_hangup_only(
        accept(None, Some("https://k.example/h")),
        r#"<Response onHangup="https://k.example/h"/>"#
    )]
    #[case::reject_busy(
        Reply::Reject(RejectReason::Busy),
        r#"<Response><Reject reason="busy"/></Response>"#
    )]
    #[case::reject_rejected(
        Reply::Reject(RejectReason::Rejected),
        r#"<Response><Reject reason="rejected"/></Response>"#
    )]
    fn render_xml_produces_the_documented_response(#[case] reply: Reply, #[case] body: &str) {
        assert_eq!(
            render_xml(&reply),
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}"),
            "sipgate reads exactly this grammar; attributes appear only when set"
        );
    }

    #[test]
    fn render_xml_escapes_attribute_values() {
        let xml = render_xml(&accept(Some("https://k.example/a?x=1&y=\"2\"<'>"), None));
        assert!(
            xml.contains(r#"onAnswer="https://k.example/a?x=1&amp;y=&quot;2&quot;&lt;&apos;&gt;""#),
            "a raw & or \" in a URL would make the reply unparseable for sipgate: {xml}"
        );
    }

    #[rstest]
    #[case::empty(Reply::Empty, r#"{"action":"accept"}"#)]
    #[case::accept(accept(Some("https://k.example/a"), None), r#"{"action":"accept"}"#)]
    #[case::reject_busy(
        Reply::Reject(RejectReason::Busy),
        r#"{"action":"reject","reason":"busy"}"#
    )]
    #[case::reject_rejected(
        Reply::Reject(RejectReason::Rejected),
        r#"{"action":"reject","reason":"rejected"}"#
    )]
    fn render_json_produces_the_action_object(#[case] reply: Reply, #[case] json: &str) {
        let rendered: serde_json::Value =
            serde_json::from_str(&render_json(&reply)).expect("render_json must emit JSON");
        let expected: serde_json::Value = serde_json::from_str(json).expect("valid expectation");
        assert_eq!(
            rendered, expected,
            "JSON integrations only need the action and reason"
        );
    }

    #[rstest]
    #[case::empty(Reply::Empty, ParsedReply::default())]
    #[case::accept_with_escaped_urls(
        accept(Some("https://k.example/a?x=1&y=\"2\""), Some("https://k.example/h?a&b")),
        ParsedReply {
            on_answer: Some("https://k.example/a?x=1&y=\"2\"".to_owned()),
            on_hangup: Some("https://k.example/h?a&b".to_owned()),
            ..ParsedReply::default()
        }
    )]
    #[case::reject_busy(
        Reply::Reject(RejectReason::Busy),
        ParsedReply { reject: Some(RejectReason::Busy), ..ParsedReply::default() }
    )]
    #[case::reject_rejected(
        Reply::Reject(RejectReason::Rejected),
        ParsedReply { reject: Some(RejectReason::Rejected), ..ParsedReply::default() }
    )]
    fn parse_xml_reply_round_trips_render_xml(#[case] reply: Reply, #[case] expected: ParsedReply) {
        assert_eq!(
            parse_xml_reply(&render_xml(&reply)).expect("rendered replies must parse"),
            expected,
            "the self-test client must read back exactly what the listener rendered"
        );
    }

    #[rstest]
    #[case::voicemail_without_declaration(
        "<Response><Dial><Voicemail/></Dial></Response>",
        ParsedReply::default()
    )]
    #[case::reject_without_reason(
        "<Response><Reject/></Response>",
        ParsedReply { reject: Some(RejectReason::Rejected), ..ParsedReply::default() }
    )]
    #[case::hangup_after_play(
        "<?xml version=\"1.0\"?>\n<Response>\n  <Play><Url>https://x/a.wav</Url></Play>\n  <Hangup/>\n</Response>\n",
        ParsedReply { hangup: true, ..ParsedReply::default() }
    )]
    #[case::gather_with_follow_ups(
        r#"<Response onAnswer="https://a" onHangup="https://h"><Gather onData="https://d" maxDigits="1"><Play><Url>https://x/a.wav</Url></Play></Gather></Response>"#,
        ParsedReply { on_answer: Some("https://a".to_owned()), on_hangup: Some("https://h".to_owned()), ..ParsedReply::default() }
    )]
    #[case::nested_reject_is_not_an_action(
        "<Response><Dial><Reject/></Dial></Response>",
        ParsedReply::default()
    )]
    fn parse_xml_reply_reads_documented_responses(
        #[case] xml: &str,
        #[case] expected: ParsedReply,
    ) {
        assert_eq!(
            parse_xml_reply(xml).expect("documented responses must parse"),
            expected,
            "only follow-up URLs, Reject and Hangup matter to the self-test client"
        );
    }

    #[rstest]
    #[case::empty_text("")]
    #[case::plain_text("OK")]
    #[case::wrong_root("<Error message=\"nope\"/>")]
    #[case::mismatched_tags("<Response><Dial></Response>")]
    #[case::bad_attribute("<Response onAnswer=unquoted/>")]
    fn parse_xml_reply_rejects_non_responses(#[case] xml: &str) {
        assert!(
            parse_xml_reply(xml).is_err(),
            "a self-test against a wrong endpoint must fail loudly: {xml:?}"
        );
    }

    #[rstest]
    #[case::busy(RejectReason::Busy, "busy")]
    #[case::rejected(RejectReason::Rejected, "rejected")]
    fn reject_reasons_use_the_wire_spelling(#[case] reason: RejectReason, #[case] wire: &str) {
        assert_eq!(
            reason.as_str(),
            wire,
            "the attribute value is case-sensitive"
        );
        assert_eq!(
            serde_json::to_value(reason).expect("serialize"),
            serde_json::Value::String(wire.to_owned()),
            "config files use the same spelling as the wire"
        );
    }
}
