//! Reading a vCard file piece by piece, so that a file of any size is never held whole.
//!
//! The file is read in pieces of about a mebibyte, each cut right after an `END:VCARD` line.
//! Such a line always closes the open card (a value continues only over lines that start
//! with a space or tab, over quoted-printable soft breaks, which stop at `END:VCARD` too, or
//! over base64 lines, which hold no `:`), so every piece reads exactly as it would as part of
//! the whole file, and places are counted on from the piece before.

use std::borrow::Cow;
use std::io::Read;

use super::read::{read_part, Start};
use crate::interchange::record::{ContactRecord, Place, ReadError};
use crate::interchange::text::Encoding;

/// How much is read at a time.
const PIECE: usize = 1 << 20;

/// The cards of a vCard file as they are read, in file order.
pub struct CardStream<R> {
    source: R,
    encoding: Encoding,
    /// Bytes read and not parsed yet: the start of a card that a later read completes.
    pending: Vec<u8>,
    start: Start,
    ready: std::vec::IntoIter<ContactRecord>,
    /// Nothing more to read: the end of the file, or an error was returned.
    finished: bool,
}

impl<R: Read> CardStream<R> {
    /// Reads cards from `source`, whose text is in `encoding` (see [`crate::interchange::text::detect`]).
    pub fn new(source: R, encoding: Encoding) -> Self {
        Self {
            source,
            encoding,
            pending: Vec::new(),
            start: Start { card: 1, line: 1 },
            ready: Vec::new().into_iter(),
            finished: false,
        }
    }

    /// Reads and parses the next piece; `None` at the end of the file.
    fn next_piece(&mut self) -> Result<Option<Vec<ContactRecord>>, ReadError> {
        loop {
            let at_end = self.read_more()?;
            let cut = if at_end {
                Some(self.pending.len())
            } else {
                after_last_card(&self.pending)
            };
            let Some(cut) = cut else {
                continue; // one card longer than a piece (a large photo): read on
            };
            if at_end {
                self.finished = true;
            }
            let rest = self.pending.split_off(cut);
            let piece = std::mem::replace(&mut self.pending, rest);
            if piece.is_empty() {
                return Ok(None);
            }
            let records = read_part(&self.decode(&piece), self.start)?;
            self.start = Start {
                card: self.start.card + records.len(),
                line: self.start.line + memchr::memchr_iter(b'\n', &piece).count(),
            };
            return Ok(Some(records));
        }
    }

    /// Appends up to a piece's worth of the file; returns whether the file ended.
    fn read_more(&mut self) -> Result<bool, ReadError> {
        let read = (&mut self.source)
            .take(PIECE as u64)
            .read_to_end(&mut self.pending)
            .map_err(|e| ReadError {
                place: Place::Card {
                    index: self.start.card,
                    line: self.start.line,
                },
                message: format!("the file could not be read on: {e}"),
            })?;
        Ok(read < PIECE)
    }

    fn decode<'p>(&self, piece: &'p [u8]) -> Cow<'p, str> {
        let piece = if self.start.line == 1 {
            piece.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(piece)
        } else {
            piece
        };
        match self.encoding {
            // Checked as UTF-8 beforehand; a file changed since then is read as well as it goes.
            Encoding::Utf8 => String::from_utf8_lossy(piece),
            Encoding::Windows1252 => {
                encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(piece)
                    .0
            }
        }
    }
}

impl<R: Read> Iterator for CardStream<R> {
    type Item = Result<ContactRecord, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(record) = self.ready.next() {
                return Some(Ok(record));
            }
            if self.finished && self.pending.is_empty() {
                return None;
            }
            match self.next_piece() {
                Ok(Some(records)) => self.ready = records.into_iter(),
                Ok(None) => return None,
                Err(e) => {
                    self.finished = true;
                    self.pending = Vec::new();
                    return Some(Err(e));
                }
            }
        }
    }
}

/// Where the text after the last complete `END:VCARD` line in `bytes` begins, if it has one.
fn after_last_card(bytes: &[u8]) -> Option<usize> {
    // Only lines that end in a line break are complete; the last one may still be growing.
    let mut line_end = memchr::memrchr(b'\n', bytes)?;
    loop {
        let line_start = memchr::memrchr(b'\n', &bytes[..line_end]).map_or(0, |at| at + 1);
        if is_end_line(&bytes[line_start..line_end]) {
            return Some(line_end + 1);
        }
        line_end = line_start.checked_sub(1)?;
    }
}

/// `END:VCARD` at the start of a line, in any case, with nothing but white space after it.
fn is_end_line(line: &[u8]) -> bool {
    line.trim_ascii_end().eq_ignore_ascii_case(b"END:VCARD")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out a few bytes at a time, as a pipe may.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(self.1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn cards(count: usize) -> String {
        (0..count)
            .map(|i| {
                format!(
                    "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=B6rg=\r\n {i}\r\n\
                     TEL;WORK:0211 {i:07}\r\nNOTE:folded\r\n  over a line\r\nend:vcard \r\n"
                )
            })
            .collect()
    }

    #[test]
    fn pieces_read_exactly_as_the_whole_file() {
        // Over two pieces' worth, handed out in odd sizes, so cuts fall everywhere.
        let text = cards(30_000);
        assert!(text.len() > 2 * PIECE, "the file spans several pieces");
        let whole = super::super::read(&text).expect("whole");
        let streamed: Vec<ContactRecord> =
            CardStream::new(Trickle(text.as_bytes(), 7_777), Encoding::Utf8)
                .collect::<Result<_, _>>()
                .expect("streamed");
        assert_eq!(streamed.len(), whole.len());
        assert!(streamed == whole, "same records, same places");
    }

    #[test]
    fn an_error_after_the_first_piece_names_its_card_and_line() {
        let mut text = cards(20_000);
        text.push_str("BEGIN:VCARD\r\nFN:Offen\r\nBEGIN:VCARD\r\nEND:VCARD\r\n");
        let whole = super::super::read(&text).expect_err("whole");
        let streamed: Vec<_> = CardStream::new(text.as_bytes(), Encoding::Utf8).collect();
        let last = streamed.last().expect("something").clone();
        assert_eq!(last, Err(whole.clone()), "{whole}");
        assert_eq!(
            whole.place,
            Place::Card {
                index: 20_001,
                line: 20_000 * 8 + 1
            }
        );
        assert_eq!(
            streamed.iter().filter(|r| r.is_err()).count(),
            1,
            "reading stops at the error"
        );
    }

    #[test]
    fn windows_1252_and_a_byte_order_mark_read_as_in_the_whole_file() {
        let bytes = b"\xEF\xBB\xBFBEGIN:VCARD\r\nFN:M\xFCller\r\nTEL:030 1234567\r\nEND:VCARD\r\n";
        let (text, encoding) = crate::interchange::text::decode(bytes);
        let whole = super::super::read(&text).expect("whole");
        let streamed: Vec<ContactRecord> = CardStream::new(&bytes[..], encoding)
            .collect::<Result<_, _>>()
            .expect("streamed");
        assert_eq!(streamed, whole);
        assert_eq!(streamed[0].name, "Müller");
    }

    #[test]
    fn the_cut_is_after_the_last_complete_end_line() {
        let text = b"BEGIN:VCARD\nEND:VCARD\nBEGIN:VCARD\nFN:x\nEND:VCA";
        assert_eq!(after_last_card(text), Some(22));
        assert_eq!(after_last_card(b"BEGIN:VCARD\nFN:x"), None);
        assert_eq!(
            after_last_card(b" END:VCARD\n"),
            None,
            "a folded line is not the end"
        );
    }
}
