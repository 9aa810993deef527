//! A Server-Sent-Events parser for desks: bytes in, events out, in any chunking.
//!
//! Follows the HTML standard's rules: lines end in CRLF, LF or CR; `:` starts a comment; `data`
//! lines join with newlines; a blank line dispatches; an event without data is dropped. Lines
//! are capped so a broken or hostile hub cannot grow a desk's memory without bound.

/// Longest line accepted; one event is about a kilobyte.
pub const MAX_LINE: usize = 64 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `id:` in force when it was dispatched (the last one seen on the stream).
    pub id: Option<String>,
    /// Whether this event itself carried an `id:` line.
    pub has_id: bool,
    /// The `event:` name, `message` when none was given.
    pub event: String,
    /// The joined `data:` lines.
    pub data: String,
}

/// What the stream said besides events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseItem {
    /// An event.
    Event(SseEvent),
    /// A `retry:` in milliseconds.
    Retry(u64),
    /// A comment (keep-alive).
    Comment,
}

/// A line longer than [`MAX_LINE`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stream line longer than {MAX_LINE} bytes")]
pub struct LineTooLong;

/// The parser's state between chunks.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    /// The last chunk ended in CR: a LF at the start of the next one belongs to it.
    after_cr: bool,
    last_id: Option<String>,
    has_id: bool,
    event: String,
    data: String,
    has_data: bool,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a chunk; returns what it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<SseItem>, LineTooLong> {
        let mut items = Vec::new();
        for &byte in chunk {
            if std::mem::take(&mut self.after_cr) && byte == b'\n' {
                continue;
            }
            match byte {
                b'\r' | b'\n' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(item) = self.line_done(&line) {
                        items.push(item);
                    }
                }
                _ => {
                    if self.line.len() >= MAX_LINE {
                        return Err(LineTooLong);
                    }
                    self.line.push(byte);
                }
            }
        }
        Ok(items)
    }

    fn line_done(&mut self, line: &[u8]) -> Option<SseItem> {
        let line = String::from_utf8_lossy(line);
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return Some(SseItem::Comment);
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => self.event = value.to_string(),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => {
                self.last_id = Some(value.to_string());
                self.has_id = true;
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                return value.parse().ok().map(SseItem::Retry);
            }
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseItem> {
        let event = std::mem::take(&mut self.event);
        let data = std::mem::take(&mut self.data);
        let has_id = std::mem::take(&mut self.has_id);
        if !std::mem::take(&mut self.has_data) {
            return None;
        }
        Some(SseItem::Event(SseEvent {
            id: self.last_id.clone(),
            has_id,
            event: if event.is_empty() {
                "message".into()
            } else {
                event
            },
            data,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STREAM: &str = "retry: 3000\n\nevent: hello\ndata: {\"proto\":1}\n\n: ka\n\
        id: 7\nevent: call\ndata: {\"id\":1}\n\nevent: synced\ndata: {}\n\n\
        data: one\ndata: two\n\n";

    fn events(items: &[SseItem]) -> Vec<SseEvent> {
        items
            .iter()
            .filter_map(|item| match item {
                SseItem::Event(e) => Some(e.clone()),
                _ => None,
            })
            .collect()
    }

    fn parse_all(chunks: &[&[u8]]) -> Vec<SseItem> {
        let mut parser = SseParser::new();
        chunks
            .iter()
            .flat_map(|chunk| parser.feed(chunk).expect("no long lines"))
            .collect()
    }

    #[test]
    fn a_hub_stream_reads_as_its_events() {
        let items = parse_all(&[STREAM.as_bytes()]);
        assert_eq!(items[0], SseItem::Retry(3000));
        assert!(items.contains(&SseItem::Comment));
        let events = events(&items);
        let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(names, ["hello", "call", "synced", "message"]);
        assert_eq!(events[0].id, None);
        assert_eq!(events[1].id.as_deref(), Some("7"));
        assert!(events[1].has_id);
        assert_eq!(
            events[2].id.as_deref(),
            Some("7"),
            "the last id stays in force"
        );
        assert!(!events[2].has_id, "but synced carries none of its own");
        assert_eq!(events[3].data, "one\ntwo");
    }

    #[test]
    fn an_overlong_line_is_refused() {
        let mut parser = SseParser::new();
        let long = vec![b'a'; MAX_LINE + 1];
        assert_eq!(parser.feed(&long), Err(LineTooLong));
    }

    proptest! {
        #[test]
        fn any_chunking_and_line_ending_gives_the_same_events(
            cuts in proptest::collection::vec(0usize..STREAM.len(), 0..12),
            ending in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        ) {
            let text = STREAM.replace('\n', ending);
            let bytes = text.as_bytes();
            let mut cuts = cuts.into_iter().map(|c| c.min(bytes.len())).collect::<Vec<_>>();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut start = 0;
            for cut in cuts {
                chunks.push(&bytes[start..cut]);
                start = cut;
            }
            chunks.push(&bytes[start..]);
            let whole = events(&parse_all(&[STREAM.as_bytes()]));
            prop_assert_eq!(events(&parse_all(&chunks)), whole);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut parser = SseParser::new();
            let _ = parser.feed(&bytes);
        }
    }
}
