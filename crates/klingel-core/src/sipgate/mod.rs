//! sipgate.io Push API: the wire protocol between sipgate and Klingel.
//!
//! sipgate POSTs a form-encoded body for every call event, signs the raw body
//! with RSA, and reads an XML `<Response>` back. This module knows those three
//! formats and nothing about HTTP, storage or the desktop.
//!
//! Layout:
//! - [`push`]: parses a push body (form or JSON) into a typed [`Push`].
//! - [`signature`]: checks `X-Sipgate-Signature` and signs Klingel's own test pushes.
//! - [`reply`]: renders the XML/JSON answer to a push and parses XML answers back.

pub mod push;
pub mod reply;
pub mod signature;

pub use push::{parse, BodyFormat, Direction, Event, EventKind, ParseError, Parsed, Push};
pub use reply::{
    parse_xml_reply, render_json, render_xml, ParsedReply, RejectReason, Reply, ReplyParseError,
};
pub use signature::{
    KeyError, KeyRole, SignatureError, SignatureVerifier, Signer as _, TestSigner, Verified,
    SIPGATE_PUBLIC_KEY_PEM,
};
