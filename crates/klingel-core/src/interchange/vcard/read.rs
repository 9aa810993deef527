//! Reading vCard 2.1, 3.0 and 4.0.
//!
//! Reading is one pass over the lines. A content line is copied (unfolded, or joined over
//! quoted-printable soft breaks) only when it continues and its property is one Klingel keeps;
//! everything else (PHOTO, ADR, EMAIL, …) is skipped without being copied or decoded.

use std::borrow::Cow;
use std::iter::{Enumerate, Peekable};
use std::str::Split;

use crate::interchange::record::{ContactRecord, Place, ReadError, RecordNumber};
use crate::interchange::text;

/// Reads every vCard (2.1, 3.0, 4.0) in `text`, in file order.
pub fn read(text: &str) -> Result<Vec<ContactRecord>, ReadError> {
    read_part(text, Start { card: 1, line: 1 })
}

/// Where a piece of a file starts: the number of its first card and of its first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Start {
    /// 1-based number of the next card.
    pub card: usize,
    /// 1-based number of the piece's first line.
    pub line: usize,
}

/// Reads the cards in `text`, a piece of a file that begins at `start` and ends after a
/// card (or at the end of the file); places are counted from `start`.
pub(super) fn read_part(text: &str, start: Start) -> Result<Vec<ContactRecord>, ReadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = Lines::new(text, start.line);
    let mut records = Vec::new();
    let card_number = |records: &Vec<ContactRecord>| start.card + records.len();
    let mut card: Option<Card> = None;
    // Reused for every value that continues over several lines, so folded values cost no
    // allocation of their own.
    let mut joined = String::new();

    while let Some((number, first)) = lines.next_line() {
        if is_blank(first) {
            continue;
        }
        let Some(open) = card.as_mut() else {
            if is_begin(first) {
                card = Some(Card::new(card_number(&records), number));
                continue;
            }
            return Err(ReadError {
                place: Place::Card {
                    index: card_number(&records),
                    line: number,
                },
                message: format!("expected BEGIN:VCARD, found {:?}", snippet(first)),
            });
        };

        // The head (name and params) nearly always ends on the first physical line; only a head
        // folded before its colon needs the line unfolded before it can be split.
        let unfolded: String;
        let split = match split_line(first, true) {
            Some(split) => Some(split),
            None if lines
                .peek_line()
                .is_some_and(|next| continuation(next).is_some()) =>
            {
                unfolded = unfold(first, &mut lines);
                split_line(&unfolded, false)
            }
            None => split_line(first, false),
        };
        let Some((head_text, first_value)) = split else {
            return Err(open.error(format!("line {number}: no ':' in property")));
        };
        let head = parse_head(head_text);
        match head.prop {
            Prop::Begin if is_vcard(first_value) => {
                return Err(open.error(format!(
                    "card {} not closed before line {number}",
                    open.index
                )));
            }
            Prop::End if is_vcard(first_value) => {
                if let Some(done) = card.take() {
                    records.push(done.finish());
                }
                continue;
            }
            _ => {}
        }

        let keep = head.prop.is_kept();
        let continued = follow(&mut lines, first_value, &head, keep.then_some(&mut joined));
        if keep {
            open.take(&head, if continued { &joined } else { first_value });
        }
    }

    match card {
        Some(open) => Err(open.error(format!("card {} has no END:VCARD", open.index))),
        None => Ok(records),
    }
}

/// Whether `text` looks like vCard (first non-empty line is BEGIN:VCARD, case-insensitive).
pub fn looks_like_vcard(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .is_some_and(|line| line.eq_ignore_ascii_case("BEGIN:VCARD"))
}

/// Physical lines with 1-based numbers, LF or CRLF removed.
struct Lines<'a> {
    inner: Peekable<Enumerate<Split<'a, char>>>,
    /// The number of the first line.
    first: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str, first: usize) -> Self {
        Self {
            inner: text.split('\n').enumerate().peekable(),
            first,
        }
    }

    fn next_line(&mut self) -> Option<(usize, &'a str)> {
        self.inner
            .next()
            .map(|(index, line)| (index + self.first, strip_cr(line)))
    }

    fn peek_line(&mut self) -> Option<&'a str> {
        self.inner.peek().map(|&(_, line)| strip_cr(line))
    }

    fn skip_line(&mut self) {
        self.inner.next();
    }
}

/// Whether a line holds only whitespace; decided by the first byte for nearly every line.
fn is_blank(line: &str) -> bool {
    match line.as_bytes().first() {
        None => true,
        Some(byte) if byte.is_ascii_alphanumeric() => false,
        Some(_) => line.trim().is_empty(),
    }
}

fn strip_cr(line: &str) -> &str {
    line.strip_suffix('\r').unwrap_or(line)
}

/// The rest of a folded continuation line (one leading space or tab dropped), if it is one.
fn continuation(line: &str) -> Option<&str> {
    line.strip_prefix([' ', '\t'])
}

/// `first` with all the folded lines after it appended.
fn unfold(first: &str, lines: &mut Lines<'_>) -> String {
    let mut out = first.to_owned();
    while let Some(rest) = lines.peek_line().and_then(continuation) {
        out.push_str(rest);
        lines.skip_line();
    }
    out
}

/// Follows a value over folded lines, quoted-printable soft breaks and vCard 2.1's unindented
/// base64 lines. With `into`, a value that continues is collected there (soft-break `=`s
/// removed); without, its lines are only skipped. Returns whether the value continued.
fn follow(
    lines: &mut Lines<'_>,
    first: &str,
    head: &Head<'_>,
    mut into: Option<&mut String>,
) -> bool {
    let mut soft_break = head.qp && first.ends_with('=');
    let mut continued = false;
    while let Some(next) = lines.peek_line() {
        // Outlook starts the line after a soft break at column one, so it continues the value
        // whatever it begins with; only a closing END:VCARD stops a stray trailing `=`.
        let piece = if soft_break && !next.trim().eq_ignore_ascii_case("END:VCARD") {
            next
        } else if let Some(rest) = continuation(next) {
            rest
        } else if head.base64 && !is_blank(next) && !next.contains(':') {
            // Some 2.1 writers put base64 lines at column one and end them with a blank line;
            // base64 never holds a ':', so such a line cannot be a property.
            next
        } else {
            break;
        };
        lines.skip_line();
        if let Some(buffer) = into.as_deref_mut() {
            if !continued {
                buffer.clear();
                buffer.push_str(first);
            }
            if soft_break {
                buffer.pop();
            }
            buffer.push_str(piece);
        }
        continued = true;
        soft_break = head.qp && piece.ends_with('=');
    }
    continued
}

/// Splits a content line at the colon between head and value. Strictly only a colon outside
/// double quotes counts (4.0 quotes param values); leniently, failing that, the first colon.
fn split_line(line: &str, strict: bool) -> Option<(&str, &str)> {
    let mut quoted = false;
    let mut at = None;
    for (index, byte) in line.bytes().enumerate() {
        match byte {
            b'"' => quoted = !quoted,
            b':' if !quoted => {
                at = Some(index);
                break;
            }
            _ => {}
        }
    }
    let at = match at {
        Some(at) => at,
        None if strict => return None,
        None => line.find(':')?,
    };
    Some((line.get(..at)?, line.get(at + 1..)?))
}

fn is_vcard(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("VCARD")
}

fn is_begin(line: &str) -> bool {
    split_line(line, false)
        .is_some_and(|(head, value)| parse_head(head).prop == Prop::Begin && is_vcard(value))
}

/// The start of a line for an error message, at most 40 characters.
fn snippet(line: &str) -> Cow<'_, str> {
    let line = line.trim();
    match line
        .char_indices()
        .nth(40)
        .and_then(|(at, _)| line.get(..at))
    {
        Some(start) => Cow::Owned(format!("{start}…")),
        None => Cow::Borrowed(line),
    }
}

/// The properties the reader tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prop {
    Begin,
    End,
    Fn,
    N,
    Org,
    Note,
    Tel,
    Switchboard,
    Blocked,
    Other,
}

impl Prop {
    fn of(name: &str) -> Self {
        const NAMES: [(&str, Prop); 9] = [
            ("TEL", Prop::Tel),
            ("FN", Prop::Fn),
            ("N", Prop::N),
            ("ORG", Prop::Org),
            ("NOTE", Prop::Note),
            ("BEGIN", Prop::Begin),
            ("END", Prop::End),
            ("X-KLINGEL-SWITCHBOARD", Prop::Switchboard),
            ("X-KLINGEL-BLOCKED", Prop::Blocked),
        ];
        NAMES
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map_or(Self::Other, |&(_, prop)| prop)
    }

    /// Whether the value is read at all.
    fn is_kept(self) -> bool {
        !matches!(self, Self::Begin | Self::End | Self::Other)
    }
}

/// What a property's name and params say.
#[derive(Debug)]
struct Head<'a> {
    prop: Prop,
    /// `ENCODING=QUOTED-PRINTABLE` or bare `QUOTED-PRINTABLE` (2.1).
    qp: bool,
    /// `ENCODING=BASE64`/`b` or bare `BASE64`.
    base64: bool,
    /// `CHARSET=` for quoted-printable bytes.
    charset: Option<&'a str>,
    /// `TYPE`s, for TEL.
    kinds: Kinds<'a>,
}

fn parse_head(head: &str) -> Head<'_> {
    let mut parts = split_outside_quotes(head, b';');
    let name = parts.next().unwrap_or_default().trim();
    // Groups (`item1.TEL`) only tie Apple's labels to properties; the name is after the dot.
    let name = match name.bytes().rposition(|byte| byte == b'.') {
        Some(dot) => name.get(dot + 1..).unwrap_or_default(),
        None => name,
    };
    let mut parsed = Head {
        prop: Prop::of(name),
        qp: false,
        base64: false,
        charset: None,
        kinds: Kinds::default(),
    };
    // Only a TEL's types matter; the rest are not even looked at.
    let tel = parsed.prop == Prop::Tel;
    for param in parts {
        let param = param.trim();
        match param.split_once('=') {
            // vCard 2.1 leaves out the param name: `TEL;WORK;VOICE:`, `NOTE;QUOTED-PRINTABLE:`.
            None => {
                if !parsed.set_encoding(param) && tel {
                    parsed.kinds.add(param);
                }
            }
            Some((key, value)) => {
                let key = key.trim();
                let value = unquote(value.trim());
                if key.eq_ignore_ascii_case("TYPE") {
                    if !tel {
                        continue;
                    }
                    for kind in value.split(',') {
                        parsed.kinds.add(kind);
                    }
                } else if key.eq_ignore_ascii_case("ENCODING") {
                    parsed.set_encoding(value);
                } else if key.eq_ignore_ascii_case("CHARSET") {
                    parsed.charset = Some(value);
                }
            }
        }
    }
    parsed
}

impl Head<'_> {
    /// Records an encoding name; false when `name` is none.
    fn set_encoding(&mut self, name: &str) -> bool {
        if name.eq_ignore_ascii_case("QUOTED-PRINTABLE") {
            self.qp = true;
        } else if name.eq_ignore_ascii_case("BASE64") || name.eq_ignore_ascii_case("B") {
            self.base64 = true;
        } else {
            return ["8BIT", "7BIT"]
                .iter()
                .any(|known| known.eq_ignore_ascii_case(name));
        }
        true
    }
}

/// Splits at `separator` bytes outside double quotes.
fn split_outside_quotes(text: &str, separator: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        let mut quoted = false;
        for (index, byte) in current.bytes().enumerate() {
            if byte == b'"' {
                quoted = !quoted;
            } else if byte == separator && !quoted {
                rest = current.get(index + 1..);
                return current.get(..index);
            }
        }
        rest = None;
        Some(current)
    })
}

/// Splits a structured value (N, ORG) at `;`s not escaped by a backslash.
fn split_structured(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        let mut escaped = false;
        for (index, byte) in current.bytes().enumerate() {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b';' {
                rest = current.get(index + 1..);
                return current.get(..index);
            }
        }
        rest = None;
        Some(current)
    })
}

fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or(value)
}

/// Label bits, in order of preference: a number that is both "work" and "fax" is a fax.
/// Pager, missing from the usual lists, ranks with the other device kinds above main.
const FAX: u8 = 1;
const CELL: u8 = 1 << 1;
const PAGER: u8 = 1 << 2;
const MAIN: u8 = 1 << 3;
const WORK: u8 = 1 << 4;
const HOME: u8 = 1 << 5;
const LABELS: [(u8, &str); 6] = [
    (FAX, "fax"),
    (CELL, "cell"),
    (PAGER, "pager"),
    (MAIN, "main"),
    (WORK, "work"),
    (HOME, "home"),
];

/// A TEL's types: the known labels among them, and the first type that is no vCard word
/// (a label of the user's own, as Klingel's export writes them).
#[derive(Debug, Default)]
struct Kinds<'a> {
    labels: u8,
    custom: Option<&'a str>,
}

/// What one type word says about a number's label.
enum Kind {
    Label(u8),
    /// A vCard word that says nothing about the label (`VOICE`, `PREF`, `X-…`).
    Plain,
    Unknown,
}

fn kind_of(word: &str) -> Kind {
    const KNOWN: [(&str, u8); 8] = [
        ("work", WORK),
        ("home", HOME),
        ("cell", CELL),
        ("mobile", CELL),
        ("iphone", CELL),
        ("fax", FAX),
        ("main", MAIN),
        ("pager", PAGER),
    ];
    const PLAIN: [&str; 14] = [
        "voice",
        "pref",
        "text",
        "msg",
        "video",
        "bbs",
        "modem",
        "car",
        "isdn",
        "pcs",
        "textphone",
        "internet",
        "x400",
        "other",
    ];
    if let Some(&(_, bit)) = KNOWN
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(word))
    {
        Kind::Label(bit)
    } else if word.is_empty()
        || PLAIN.iter().any(|plain| plain.eq_ignore_ascii_case(word))
        || word
            .get(..2)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("x-"))
    {
        Kind::Plain
    } else {
        Kind::Unknown
    }
}

impl<'a> Kinds<'a> {
    fn add(&mut self, kind: &'a str) {
        let kind = kind.trim();
        match kind_of(kind) {
            Kind::Label(bit) => self.labels |= bit,
            Kind::Plain => {}
            Kind::Unknown => {
                // "work fax" is two known words; "home office" is a label of its own.
                let words = || kind.split_whitespace().map(kind_of);
                if kind.contains(char::is_whitespace)
                    && words().all(|word| !matches!(word, Kind::Unknown))
                {
                    for word in words() {
                        if let Kind::Label(bit) = word {
                            self.labels |= bit;
                        }
                    }
                } else if self.custom.is_none() {
                    self.custom = Some(kind);
                }
            }
        }
    }

    fn label(&self) -> String {
        if let Some(&(_, label)) = LABELS.iter().find(|(bit, _)| self.labels & bit != 0) {
            return label.to_owned();
        }
        self.custom
            .map(|custom| unescape_param(custom).to_lowercase())
            .unwrap_or_default()
    }
}

/// Undoes RFC 6868's caret escapes in a param value (`^^`, `^'`, `^n`).
fn unescape_param(value: &str) -> Cow<'_, str> {
    if !value.contains('^') {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '^' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('^') => out.push('^'),
            Some('\'') => out.push('"'),
            Some('n' | 'N') => out.push('\n'),
            Some(other) => {
                out.push('^');
                out.push(other);
            }
            None => out.push('^'),
        }
    }
    Cow::Owned(out)
}

/// Undoes vCard text escapes. In `list` mode an unescaped `,` separates values and becomes a
/// space (N's "Anna,Maria").
fn unescape(value: &str, list: bool) -> Cow<'_, str> {
    let plain = !value.contains('\\') && (!list || !value.contains(','));
    if plain {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(escaped @ (',' | ';' | '\\' | ':')) => out.push(escaped),
                // Not an escape (2.1 files carry raw Windows paths): keep it as written.
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            ',' if list => out.push(' '),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The value as text: quoted-printable decoded to bytes, then read in its `CHARSET=`.
fn decoded<'v>(raw: &'v str, head: &Head<'_>) -> Cow<'v, str> {
    if !head.qp {
        return Cow::Borrowed(raw);
    }
    let bytes = decode_qp(raw);
    Cow::Owned(match head.charset {
        Some(charset) => text::decode_charset(&bytes, charset),
        None => text::decode(&bytes).0,
    })
}

/// `=XX` to bytes; a malformed `=` stays as it is, a trailing one (a soft break with nothing
/// after it) is dropped.
fn decode_qp(raw: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut rest = raw.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'=' {
            if let Some(value) = tail.get(..2).and_then(hex_pair) {
                out.push(value);
                rest = tail.get(2..).unwrap_or_default();
                continue;
            }
            if tail.is_empty() {
                break;
            }
        }
        out.push(byte);
        rest = tail;
    }
    out
}

fn hex_pair(pair: &[u8]) -> Option<u8> {
    let digit = |byte: u8| {
        char::from(byte)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    match pair {
        [high, low] => Some(digit(*high)? << 4 | digit(*low)?),
        _ => None,
    }
}

/// A number's text without a `tel:` URI scheme.
fn strip_tel(value: &str) -> &str {
    let value = value.trim();
    match value.get(..4) {
        Some(scheme) if scheme.eq_ignore_ascii_case("tel:") => {
            value.get(4..).unwrap_or_default().trim()
        }
        _ => value,
    }
}

/// "Given Middle Family" from N's Family;Given;Middle;Prefix;Suffix, single-spaced.
fn compose_name(value: &str) -> String {
    let mut parts = split_structured(value);
    let family = parts.next().unwrap_or_default();
    let given = parts.next().unwrap_or_default();
    let middle = parts.next().unwrap_or_default();
    let mut name = String::new();
    for part in [given, middle, family] {
        for word in unescape(part, true).split_whitespace() {
            if !name.is_empty() {
                name.push(' ');
            }
            name.push_str(word);
        }
    }
    name
}

/// ORG's organisation, or its unit when the organisation is empty.
fn company_of(value: &str) -> String {
    let mut parts = split_structured(value);
    for part in [parts.next(), parts.next()].into_iter().flatten() {
        let part = unescape(part, false);
        let part = part.trim();
        if !part.is_empty() {
            return part.to_owned();
        }
    }
    String::new()
}

/// Appends `text` with CRLF and CR turned into LF (quoted-printable notes carry `=0D=0A`).
fn push_lf(out: &mut String, text: &str) {
    if !text.contains('\r') {
        out.push_str(text);
        return;
    }
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            chars.next_if_eq(&'\n');
            out.push('\n');
        } else {
            out.push(c);
        }
    }
}

/// The card being read.
struct Card {
    index: usize,
    line: usize,
    formatted: String,
    composed: String,
    company: String,
    notes: String,
    numbers: Vec<RecordNumber>,
    switchboards: Vec<String>,
    blocked: bool,
}

impl Card {
    fn new(index: usize, line: usize) -> Self {
        Self {
            index,
            line,
            formatted: String::new(),
            composed: String::new(),
            company: String::new(),
            notes: String::new(),
            numbers: Vec::new(),
            switchboards: Vec::new(),
            blocked: false,
        }
    }

    fn place(&self) -> Place {
        Place::Card {
            index: self.index,
            line: self.line,
        }
    }

    fn error(&self, message: String) -> ReadError {
        ReadError {
            place: self.place(),
            message,
        }
    }

    /// Takes in one kept property's raw value.
    fn take(&mut self, head: &Head<'_>, raw: &str) {
        match head.prop {
            Prop::Fn => {
                if self.formatted.is_empty() {
                    self.formatted = unescape(&decoded(raw, head), false).trim().to_owned();
                }
            }
            Prop::N => {
                // Only needed when there is no FN, which nearly every writer puts first.
                if self.formatted.is_empty() && self.composed.is_empty() {
                    self.composed = compose_name(&decoded(raw, head));
                }
            }
            Prop::Org => {
                if self.company.is_empty() {
                    self.company = company_of(&decoded(raw, head));
                }
            }
            Prop::Note => {
                let value = decoded(raw, head);
                let note = unescape(&value, false);
                let note = note.trim();
                if !note.is_empty() {
                    if !self.notes.is_empty() {
                        self.notes.push('\n');
                    }
                    push_lf(&mut self.notes, note);
                }
            }
            Prop::Tel => {
                let value = decoded(raw, head);
                let value = unescape(&value, false);
                let number = strip_tel(&value);
                // An empty TEL has nothing to import.
                if !number.is_empty() {
                    self.numbers.push(RecordNumber {
                        label: head.kinds.label(),
                        number: number.to_owned(),
                        switchboard: false,
                    });
                }
            }
            Prop::Switchboard => {
                let value = decoded(raw, head);
                let number = strip_tel(&unescape(&value, false)).to_owned();
                self.switchboards.push(number);
            }
            Prop::Blocked => {
                let value = raw.trim();
                self.blocked = value == "1" || value.eq_ignore_ascii_case("true");
            }
            Prop::Begin | Prop::End | Prop::Other => {}
        }
    }

    fn finish(self) -> ContactRecord {
        let Self {
            index,
            line,
            formatted,
            composed,
            company,
            notes,
            mut numbers,
            switchboards,
            blocked,
        } = self;
        // X-KLINGEL-SWITCHBOARD names its number rather than sitting in the TEL's params, so
        // other programs still read the TEL; it is matched up here, in any order.
        if !switchboards.is_empty() {
            for number in &mut numbers {
                number.switchboard = switchboards.contains(&number.number);
            }
        }
        ContactRecord {
            place: Place::Card { index, line },
            name: if formatted.is_empty() {
                composed
            } else {
                formatted
            },
            company,
            notes: notes.trim().to_owned(),
            numbers,
            blocked,
        }
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    const OUTLOOK: &[u8] = include_bytes!("../../../tests/fixtures/import/outlook-2.1.vcf");
    const APPLE_GOOGLE: &str = include_str!("../../../tests/fixtures/import/apple-google-3.0.vcf");
    const CONTACT_4: &str = include_str!("../../../tests/fixtures/import/contact-4.0.vcf");
    const BROKEN: &str = include_str!("../../../tests/fixtures/import/broken.vcf");

    fn number(label: &str, number: &str) -> RecordNumber {
        RecordNumber {
            label: label.to_owned(),
            number: number.to_owned(),
            switchboard: false,
        }
    }

    fn read_ok(text: &str) -> Vec<ContactRecord> {
        read(text).unwrap_or_else(|err| panic!("{text:?} should read: {err}"))
    }

    /// The only card in `text`.
    fn read_one(text: &str) -> ContactRecord {
        let mut records = read_ok(text);
        assert_eq!(records.len(), 1, "{text:?} holds exactly one card");
        records.remove(0)
    }

    /// One card around the given property lines (LF line ends).
    fn card(body: &str) -> String {
        format!("BEGIN:VCARD\nVERSION:3.0\n{body}\nEND:VCARD\n")
    }

    #[test]
    fn an_outlook_2_1_export_reads_with_its_umlauts_soft_breaks_and_labels() {
        let (text, _) = text::decode(OUTLOOK);
        let records = read_ok(&text);
        assert_eq!(records.len(), 3, "the export holds three contacts");

        let jorg = &records[0];
        assert_eq!(
            jorg.place,
            Place::Card { index: 1, line: 1 },
            "the first card starts the file"
        );
        assert_eq!(
            jorg.name, "Dr. Jörg Müller",
            "FN is quoted-printable in Windows-1252"
        );
        assert_eq!(
            jorg.company, "Müller & Söhne GmbH",
            "ORG's organisation, raw Windows-1252 in the file"
        );
        assert_eq!(
            jorg.notes,
            "Rückruf bitte nur vormittags.\nSekretariat: Frau Weiß, Durchwahl -20. \
             Termine immer über Frau Weiß abstimmen.",
            "the note continues over soft breaks at column one, =0D=0A becomes a newline"
        );
        assert_eq!(
            jorg.numbers,
            vec![
                number("work", "+49 211 1234567"),
                number("cell", "+49 171 2345678"),
                number("fax", "+49 211 1234568"),
            ],
            "TEL;WORK;VOICE, TEL;CELL;VOICE and TEL;WORK;FAX in file order"
        );
        assert!(!jorg.blocked, "nothing in an Outlook file blocks a caller");

        let bjorn = &records[1];
        assert_eq!(
            bjorn.place,
            Place::Card { index: 2, line: 28 },
            "the second card's BEGIN line"
        );
        assert_eq!(
            bjorn.name, "Björn Schön",
            "a plain FN in the file's own Windows-1252"
        );
        assert_eq!(bjorn.company, "Bäckerei Schön", "ORG without unit");
        assert_eq!(bjorn.notes, "", "no NOTE");
        assert_eq!(
            bjorn.numbers,
            vec![
                number("home", "0211 555123"),
                number("work", "0211 555100"),
                number("pager", "0211 555199")
            ],
            "HOME, WORK;PREF and PAGER"
        );

        let works = &records[2];
        assert_eq!(
            works.place,
            Place::Card { index: 3, line: 40 },
            "the third card's BEGIN line"
        );
        assert_eq!(works.name, "Stadtwerke Düsseldorf", "FN");
        assert_eq!(works.company, "Stadtwerke Düsseldorf AG", "ORG");
        assert_eq!(
            works.notes, "Störungsannahme rund um die Uhr",
            "CHARSET may come after ENCODING"
        );
        assert_eq!(
            works.numbers,
            vec![number("work", "0211 821-0"), number("fax", "0211 821-2299")],
            "switchboard-style numbers stay as written"
        );
    }

    #[test]
    fn an_apple_or_google_3_0_export_reads_with_groups_escapes_and_folding() {
        let records = read_ok(APPLE_GOOGLE);
        assert_eq!(records.len(), 2, "the export holds two contacts");

        let petra = &records[0];
        assert_eq!(petra.place, Place::Card { index: 1, line: 1 }, "first card");
        assert_eq!(petra.name, "Petra Schmidt", "FN");
        assert_eq!(
            petra.company, "Schmidt, Meyer & Co.",
            "the escaped comma is part of the organisation"
        );
        assert_eq!(
            petra.notes,
            "Bevorzugt Rückruf am Nachmittag. Bei Reklamationen bitte zuerst den Innendienst \
             (Herr Öztürk, Durchwahl 35) informieren; danach Frau Schmidt.\nLieferadresse abweichend.",
            "the folded note is unfolded, then unescaped"
        );
        assert_eq!(
            petra.numbers,
            vec![
                number("cell", "+49 171 2345678"),
                number("work", "0211 1234567"),
                number("main", "0211 12345-0")
            ],
            "item1.TEL with repeated type params, TYPE=WORK,VOICE, and MAIN"
        );

        let mehmet = &records[1];
        assert_eq!(
            mehmet.place,
            Place::Card { index: 2, line: 22 },
            "second card"
        );
        assert_eq!(mehmet.name, "Mehmet Öztürk", "FN in UTF-8");
        assert_eq!(
            mehmet.company, "Innendienst",
            "an empty organisation falls back to the unit"
        );
        assert_eq!(
            mehmet.numbers,
            vec![
                number("home", "0211 555123"),
                number("cell", "0172 3456789"),
                number("fax", "0211 1234599")
            ],
            "HOME, CELL, and WORK+FAX as fax"
        );
    }

    #[test]
    fn a_vcard_4_0_contact_reads_with_a_tel_uri_and_quoted_types() {
        let jorg = read_one(CONTACT_4);
        assert_eq!(
            jorg.place,
            Place::Card { index: 1, line: 1 },
            "the only card"
        );
        assert_eq!(jorg.name, "Jörg Müller", "FN wins over N");
        assert_eq!(jorg.company, "Müller & Söhne GmbH", "ORG");
        assert_eq!(jorg.notes, "", "no NOTE");
        assert_eq!(
            jorg.numbers,
            vec![number("work", "+49-211-1234567")],
            "tel: is stripped, TYPE=\"voice,work\" is a work number, PREF is ignored"
        );
    }

    #[test]
    fn a_card_left_open_is_reported_with_its_number_and_the_line_that_interrupts_it() {
        let err = read(BROKEN).expect_err("card 4 lacks END:VCARD");
        assert_eq!(
            err.place,
            Place::Card { index: 4, line: 16 },
            "the open card and its BEGIN line"
        );
        assert_eq!(
            err.message, "card 4 not closed before line 20",
            "names the next BEGIN's line"
        );
        assert_eq!(
            err.to_string(),
            "card 4 (line 16): card 4 not closed before line 20",
            "the report line"
        );
    }

    #[rstest]
    #[case::text_before_a_card(
        "Name;Telefon\r\nBEGIN:VCARD\r\nEND:VCARD\r\n",
        1,
        1,
        "expected BEGIN:VCARD, found \"Name;Telefon\""
    )]
    #[case::stray_end(
        "BEGIN:VCARD\nEND:VCARD\n\nEND:VCARD\n",
        2,
        4,
        "expected BEGIN:VCARD, found \"END:VCARD\""
    )]
    #[case::begin_inside_a_card(
        "BEGIN:VCARD\nFN:A\nBEGIN:VCARD\nEND:VCARD\n",
        1,
        1,
        "card 1 not closed before line 3"
    )]
    #[case::no_end_at_end_of_file(
        "BEGIN:VCARD\nFN:A\nEND:VCARD\nBEGIN:VCARD\nFN:B\n",
        2,
        4,
        "card 2 has no END:VCARD"
    )]
    #[case::no_colon(
        "BEGIN:VCARD\nFN:A\nEND:VCARD\n\nBEGIN:VCARD\nFN B\nEND:VCARD\n",
        2,
        5,
        "line 6: no ':' in property"
    )]
    #[case::long_garbage_is_cut(
        "Dies ist keine Visitenkarte, sondern ein ganz normaler langer Brief.",
        1,
        1,
        "expected BEGIN:VCARD, found \"Dies ist keine Visitenkarte, sondern ein…\""
    )]
    fn malformed_files_name_the_card_and_line(
        #[case] text: &str,
        #[case] index: usize,
        #[case] line: usize,
        #[case] message: &str,
    ) {
        let err = read(text).expect_err("the file is malformed");
        assert_eq!(err.place, Place::Card { index, line }, "place of {text:?}");
        assert_eq!(err.message, message, "message for {text:?}");
    }

    #[rstest]
    #[case::empty("")]
    #[case::blank_lines("\r\n\r\n   \r\n\t\n")]
    #[case::only_a_bom("\u{feff}")]
    fn files_without_cards_read_as_no_records(#[case] text: &str) {
        assert_eq!(read(text), Ok(vec![]), "{text:?} holds no cards");
    }

    #[test]
    fn cards_are_numbered_by_their_begin_lines_and_a_bom_is_ignored() {
        let text =
            "\u{feff}BEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r\n\r\n\r\nBEGIN:VCARD\r\nFN:B\r\nEND:VCARD";
        let places: Vec<Place> = read_ok(text)
            .into_iter()
            .map(|record| record.place)
            .collect();
        assert_eq!(
            places,
            vec![
                Place::Card { index: 1, line: 1 },
                Place::Card { index: 2, line: 6 }
            ],
            "blank lines count, the missing final line end does not matter"
        );
    }

    #[rstest]
    #[case::space_crlf("NOTE:Erste \r\n Zeile\r\n  und mehr", "Erste Zeile und mehr")]
    #[case::tab_lf("NOTE:Erste \n\tZeile", "Erste Zeile")]
    #[case::only_one_whitespace_is_removed("NOTE:a\n  b", "a b")]
    #[case::escape_split_by_the_fold("NOTE:eins\\\n ntwo", "eins\ntwo")]
    #[case::umlaut_after_the_fold("NOTE:M\n üller", "Müller")]
    fn folded_lines_are_unfolded(#[case] lines: &str, #[case] note: &str) {
        assert_eq!(read_one(&card(lines)).notes, note, "{lines:?}");
    }

    #[test]
    fn a_head_folded_before_its_colon_is_unfolded_first() {
        let record = read_one(&card("TEL;TYPE=\"voi\n ce,cell\":\n 0171 2345678"));
        assert_eq!(
            record.numbers,
            vec![number("cell", "0171 2345678")],
            "head and value both folded"
        );
    }

    #[rstest]
    #[case::soft_break_at_column_one(
        "NOTE;ENCODING=QUOTED-PRINTABLE:Erste=0D=0A=\r\nZweite: Zeile",
        "Erste\nZweite: Zeile"
    )]
    #[case::soft_break_inside_a_word(
        "NOTE;CHARSET=UTF-8;QUOTED-PRINTABLE:M=C3=BC=\nller",
        "Müller"
    )]
    #[case::several_soft_breaks("NOTE;QUOTED-PRINTABLE:a=\nb=\nc=\nd", "abcd")]
    #[case::continuation_starting_with_a_space("NOTE;QUOTED-PRINTABLE:Guten=\n Tag", "Guten Tag")]
    #[case::lower_case_hex("NOTE;encoding=quoted-printable:Gr=c3=bc=c3=9fe", "Grüße")]
    #[case::malformed_equals_sign_stays("NOTE;QUOTED-PRINTABLE:1 =ZZ 2", "1 =ZZ 2")]
    #[case::trailing_equals_before_end("NOTE;QUOTED-PRINTABLE:Ende=", "Ende")]
    fn quoted_printable_values_are_decoded_over_soft_breaks(
        #[case] lines: &str,
        #[case] note: &str,
    ) {
        let record = read_one(&card(lines));
        assert_eq!(record.notes, note, "{lines:?}");
    }

    #[test]
    fn an_ignored_quoted_printable_property_does_not_swallow_or_break_the_card() {
        let record = read_one(&card(
            "ADR;HOME;ENCODING=QUOTED-PRINTABLE:;;Hauptstra=DFe 1=0D=0A=\nHinterhaus;K=F6ln\nTEL;HOME:0221 1",
        ));
        assert_eq!(
            record.numbers,
            vec![number("home", "0221 1")],
            "the TEL after the address is read"
        );
    }

    #[rstest]
    #[case::windows_1252(
        "CHARSET=Windows-1252;ENCODING=QUOTED-PRINTABLE:J=F6rg M=FCller",
        "Jörg Müller"
    )]
    #[case::latin_1("ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:J=F6rg", "Jörg")]
    #[case::utf_8("CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=B6rg", "Jörg")]
    #[case::quoted_charset("CHARSET=\"utf-8\";ENCODING=QUOTED-PRINTABLE:J=C3=B6rg", "Jörg")]
    #[case::default_is_utf_8("ENCODING=QUOTED-PRINTABLE:J=C3=B6rg", "Jörg")]
    #[case::default_falls_back_to_windows_1252("ENCODING=QUOTED-PRINTABLE:J=F6rg =80", "Jörg €")]
    #[case::charset_without_quoted_printable_is_moot("CHARSET=ISO-8859-1:Jörg", "Jörg")]
    fn charsets_decode_quoted_printable_bytes(#[case] params: &str, #[case] name: &str) {
        let lines = format!("FN;{params}");
        assert_eq!(read_one(&card(&lines)).name, name, "{params:?}");
    }

    #[rstest]
    #[case::comma("NOTE:a\\, b", "a, b")]
    #[case::semicolon("NOTE:a\\; b", "a; b")]
    #[case::backslash("NOTE:a\\\\b", "a\\b")]
    #[case::newline("NOTE:a\\nb", "a\nb")]
    #[case::capital_newline("NOTE:a\\Nb", "a\nb")]
    #[case::unescaped_comma_in_text("NOTE:a, b", "a, b")]
    #[case::windows_path_stays("NOTE:C:\\Users\\jm", "C:\\Users\\jm")]
    #[case::lone_trailing_backslash("NOTE:Ende \\", "Ende \\")]
    #[case::notes_are_joined("NOTE:eins\nNOTE:\nNOTE:  zwei ", "eins\nzwei")]
    fn escapes_in_values_are_undone(#[case] lines: &str, #[case] note: &str) {
        assert_eq!(read_one(&card(lines)).notes, note, "{lines:?}");
    }

    #[rstest]
    #[case::escaped_comma("ORG:Schmidt\\, Meyer & Co.;Vertrieb", "Schmidt, Meyer & Co.")]
    #[case::escaped_semicolon("ORG:A\\;B;C", "A;B")]
    #[case::unit_fallback("ORG:;Vertrieb", "Vertrieb")]
    #[case::blank_organisation("ORG: ;Vertrieb;Innen", "Vertrieb")]
    #[case::bare_2_1_comma("ORG:Meyer, Schulz GmbH", "Meyer, Schulz GmbH")]
    #[case::first_org_wins("ORG:Erste\nORG:Zweite", "Erste")]
    #[case::empty("ORG:", "")]
    fn org_gives_the_organisation_or_else_the_unit(#[case] lines: &str, #[case] company: &str) {
        assert_eq!(read_one(&card(lines)).company, company, "{lines:?}");
    }

    #[rstest]
    #[case::given_family("N:Müller;Jörg;;;", "Jörg Müller")]
    #[case::middle_name_prefix_and_suffix_left_out(
        "N:Müller;Jörg;Peter;Dr.;jun.",
        "Jörg Peter Müller"
    )]
    #[case::family_only("N:Müller;;;;", "Müller")]
    #[case::given_only("N:;Jörg;;;", "Jörg")]
    #[case::spaces_collapse("N:  van  der Berg ; Anna ;;;", "Anna van der Berg")]
    #[case::short_n("N:Müller", "Müller")]
    #[case::value_lists("N:Berg;Anna,Maria;;;", "Anna Maria Berg")]
    #[case::escaped_comma("N:Meyer\\, Schmidt;Eva", "Eva Meyer, Schmidt")]
    #[case::all_empty("N:;;;;", "")]
    #[case::empty_fn_falls_back("FN: \nN:Müller;Jörg;;;", "Jörg Müller")]
    #[case::fn_wins("FN:Dr. Jörg Müller\nN:Müller;Jörg;;;", "Dr. Jörg Müller")]
    #[case::fn_wins_after_n("N:Müller;Jörg;;;\nFN:Jörg M.", "Jörg M.")]
    #[case::fn_is_unescaped_and_trimmed("FN:  Müller\\, Jörg ", "Müller, Jörg")]
    fn the_name_is_fn_or_else_composed_from_n(#[case] lines: &str, #[case] name: &str) {
        assert_eq!(read_one(&card(lines)).name, name, "{lines:?}");
    }

    #[rstest]
    #[case::work_voice_2_1("TEL;WORK;VOICE:1", "work")]
    #[case::cell_voice_2_1("TEL;CELL;VOICE:1", "cell")]
    #[case::work_fax_2_1("TEL;WORK;FAX:1", "fax")]
    #[case::home_2_1("TEL;HOME:1", "home")]
    #[case::pager_2_1("TEL;PAGER:1", "pager")]
    #[case::list("TEL;TYPE=WORK,VOICE:1", "work")]
    #[case::repeated_params("TEL;type=CELL;type=VOICE;type=pref:1", "cell")]
    #[case::quoted_list("TEL;TYPE=\"voice,work\":1", "work")]
    #[case::iphone("TEL;TYPE=iPhone:1", "cell")]
    #[case::mobile("TEL;TYPE=MOBILE:1", "cell")]
    #[case::work_fax_words("TEL;TYPE=\"work fax\":1", "fax")]
    #[case::home_fax("TEL;TYPE=HOME,FAX:1", "fax")]
    #[case::cell_beats_main("TEL;TYPE=MAIN;TYPE=CELL:1", "cell")]
    #[case::main_beats_work("TEL;TYPE=WORK;TYPE=MAIN:1", "main")]
    #[case::work_beats_home("TEL;TYPE=HOME;TYPE=WORK:1", "work")]
    #[case::pref_only_2_1("TEL;PREF:1", "")]
    #[case::pref_only_3_0("TEL;TYPE=pref:1", "")]
    #[case::pref_param_4_0("TEL;PREF=1:1", "")]
    #[case::voice_only("TEL;TYPE=VOICE:1", "")]
    #[case::no_params("TEL:1", "")]
    #[case::extension_types("TEL;TYPE=X-ASSISTANT:1", "")]
    #[case::own_label("TEL;TYPE=zentrale:1", "zentrale")]
    #[case::own_label_lower_cased("TEL;TYPE=\"Home Office\":1", "home office")]
    #[case::own_label_with_carets("TEL;TYPE=\"b^'ro^^2\":1", "b\"ro^2")]
    #[case::known_label_beats_own("TEL;TYPE=Zentrale;TYPE=WORK:1", "work")]
    #[case::case_insensitive_names("tel;type=Cell:1", "cell")]
    fn tel_types_map_to_one_label(#[case] line: &str, #[case] label: &str) {
        assert_eq!(
            read_one(&card(line)).numbers,
            vec![number(label, "1")],
            "{line:?}"
        );
    }

    #[rstest]
    #[case::uri("TEL;VALUE=uri:tel:+49-211-1234567", "+49-211-1234567")]
    #[case::uri_any_case("TEL;VALUE=URI:TEL:+492111234567", "+492111234567")]
    #[case::text("TEL:  0211 / 12 34 567 ", "0211 / 12 34 567")]
    #[case::grouped("item7.TEL:0211 1", "0211 1")]
    fn tel_values_keep_the_number_as_written(#[case] line: &str, #[case] written: &str) {
        assert_eq!(
            read_one(&card(line)).numbers,
            vec![number("", written)],
            "{line:?}"
        );
    }

    #[test]
    fn empty_tels_and_everything_else_are_skipped() {
        let record = read_one(&card(
            "TEL;WORK:\nEMAIL;INTERNET:a@b.example\nADR;WORK:;;Weg 1;Köln;;50667;\nURL:https://example.de\nTEL;HOME:2",
        ));
        assert_eq!(
            record.numbers,
            vec![number("home", "2")],
            "only the TEL with a number counts"
        );
        assert_eq!(
            (record.name.as_str(), record.company.as_str()),
            ("", ""),
            "no FN, N or ORG"
        );
    }

    #[test]
    fn photos_are_skipped_indented_or_at_column_one() {
        let record = read_one(&card(
            "PHOTO;ENCODING=BASE64;TYPE=JPEG:/9j/4AAQSkZJRgABAQ\r\nAAAQABAAD/4QBYRXhpZg\r\n\
             AATU0AKgAAAAgA+/=\r\n\r\nTEL;CELL:0171 1\r\n\
             PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ\r\n AgESAAMAAAAB\r\n AAEAAIdpAAQ\r\nFN:Jörg",
        ));
        assert_eq!(
            record.numbers,
            vec![number("cell", "0171 1")],
            "the TEL between the photos"
        );
        assert_eq!(record.name, "Jörg", "the FN after the folded photo");
    }

    #[test]
    fn lf_and_crlf_files_read_the_same() {
        let lf = APPLE_GOOGLE.replace("\r\n", "\n");
        assert_eq!(
            read_ok(&lf),
            read_ok(APPLE_GOOGLE),
            "line ends do not matter"
        );
    }

    #[test]
    fn begin_and_end_are_case_insensitive() {
        let record = read_one("begin:vcard\nversion:3.0\nfn:Jörg\nend:vcard\n");
        assert_eq!(record.name, "Jörg", "lower-case property names");
    }

    #[test]
    fn klingel_marks_are_read_in_any_order() {
        let record = read_one(&card(
            "X-KLINGEL-SWITCHBOARD:tel:+49211123450\nTEL;VALUE=uri;TYPE=work:tel:+49211123450\n\
             TEL;VALUE=uri;TYPE=cell:tel:+491712345678\nx-klingel-blocked:1",
        ));
        let flags: Vec<bool> = record.numbers.iter().map(|n| n.switchboard).collect();
        assert_eq!(
            flags,
            vec![true, false],
            "only the named number is a switchboard"
        );
        assert!(record.blocked, "X-KLINGEL-BLOCKED:1 blocks");
        assert!(
            !read_one(&card("X-KLINGEL-BLOCKED:0")).blocked,
            "0 does not block"
        );
    }

    #[rstest]
    #[case::plain("BEGIN:VCARD\r\nVERSION:3.0\r\n", true)]
    #[case::lower_case("begin:vcard\n", true)]
    #[case::after_blank_lines_and_bom("\u{feff}\r\n  \r\nBEGIN:VCARD  \r\n", true)]
    #[case::csv("Name,Telefon\r\nBEGIN:VCARD\r\n", false)]
    #[case::empty("", false)]
    #[case::begin_something_else("BEGIN:VCALENDAR\r\n", false)]
    fn looks_like_vcard_checks_the_first_non_empty_line(
        #[case] text: &str,
        #[case] expected: bool,
    ) {
        assert_eq!(looks_like_vcard(text), expected, "{text:?}");
    }

    #[test]
    fn odd_input_never_panics() {
        let (outlook, _) = text::decode(OUTLOOK);
        let mut inputs: Vec<String> = [
            "=",
            ":",
            ";",
            "\\",
            "\"",
            "BEGIN:VCARD\n:",
            "BEGIN:VCARD\n;:\n\"",
            "BEGIN:VCARD\nTEL;TYPE=\"",
            "BEGIN:VCARD\nNOTE;QUOTED-PRINTABLE:=",
            "BEGIN:VCARD\nNOTE;QUOTED-PRINTABLE:=\n",
            "BEGIN:VCARD\n ",
            "BEGIN:VCARD\nN:\\",
            "BEGIN:VCARD\nTEL:tel:",
            "BEGIN:VCARD\nTEL:t\u{e9}l",
            "\r",
            "\n \n\t",
            "BEGIN:VCARD\nTEL;\u{e4}\u{20ac}=\"\u{1d11e}:\u{1d11e}\nEND:VCARD",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        // Every cut of the real files: a card ending anywhere, mid-escape or mid-soft-break.
        for file in [outlook.as_str(), APPLE_GOOGLE, CONTACT_4] {
            inputs.extend(
                file.char_indices()
                    .map(|(at, _)| file.get(..at).unwrap_or_default().to_owned()),
            );
        }
        for input in &inputs {
            let _ = read(input);
            let _ = looks_like_vcard(input);
        }
        assert!(inputs.len() > 1000, "many inputs were tried");
    }

    #[test]
    fn ten_thousand_cards_read_in_one_pass() {
        let mut text = String::new();
        for i in 0..10_000 {
            text.push_str(&format!(
                "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Müller {i};Jörg;;;\r\nFN:Jörg Müller {i}\r\nORG:Firma {i}\\, GmbH\r\n\
                 TEL;TYPE=WORK,VOICE:0211 {i}\r\nTEL;TYPE=CELL:0171 {i}\r\nNOTE:Notiz {i} mit etwas mehr Text, der\r\n  gefaltet ist\r\n\
                 PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/4QBYRXhpZgAATU0AKgAAAAgA\r\n AgESAAMAAAABAAEAAIdpAAQAAAABAAAAJgAAAAAAA6ABAAMAAAABAAEAAKACAAQAAAAB\r\n\
                 END:VCARD\r\n"
            ));
        }
        let records = read_ok(&text);
        assert_eq!(records.len(), 10_000, "every card is read");
        let last = records.last().expect("there are records");
        assert_eq!(
            last.place,
            Place::Card {
                index: 10_000,
                line: 9_999 * 12 + 1
            },
            "the last card's place"
        );
        assert_eq!(last.name, "Jörg Müller 9999", "the last card's name");
        assert_eq!(last.company, "Firma 9999, GmbH", "the last card's company");
        assert_eq!(
            last.notes, "Notiz 9999 mit etwas mehr Text, der gefaltet ist",
            "the last card's note"
        );
        assert_eq!(
            last.numbers,
            vec![number("work", "0211 9999"), number("cell", "0171 9999")],
            "the last card's numbers"
        );
    }
}
