//! Bytes to text. Exports come as UTF-8 (Google, Apple, newer Outlook, often with a BOM) or as
//! Windows-1252 (older Outlook, Excel's "CSV"); anything that is not valid UTF-8 is read as
//! Windows-1252, which maps every byte.

/// The encodings a file is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Encoding {
    /// UTF-8, with or without byte order mark.
    #[serde(rename = "UTF-8")]
    Utf8,
    /// Windows-1252 (a superset of ISO-8859-1 for printable text).
    #[serde(rename = "Windows-1252")]
    Windows1252,
}

impl Encoding {
    /// The usual name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Windows1252 => "Windows-1252",
        }
    }
}

/// Decodes a whole file, dropping a UTF-8 byte order mark.
pub fn decode(bytes: &[u8]) -> (String, Encoding) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), Encoding::Utf8),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (text.into_owned(), Encoding::Windows1252)
        }
    }
}

/// The encoding [`decode`] would find, read from `source` a block at a time instead of
/// holding the whole file.
pub fn detect(mut source: impl std::io::Read) -> std::io::Result<Encoding> {
    let mut block = vec![0u8; 1 << 16];
    // Bytes of a character cut off at the end of the previous block.
    let mut carried = 0;
    loop {
        let read = match source.read(&mut block[carried..]) {
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if read == 0 {
            // A character cut off by the end of the file is not UTF-8.
            return Ok(if carried == 0 {
                Encoding::Utf8
            } else {
                Encoding::Windows1252
            });
        }
        let filled = carried + read;
        carried = match std::str::from_utf8(&block[..filled]) {
            Ok(_) => 0,
            Err(e) if e.error_len().is_none() => {
                block.copy_within(e.valid_up_to()..filled, 0);
                filled - e.valid_up_to()
            }
            Err(_) => return Ok(Encoding::Windows1252),
        };
    }
}

/// Decodes bytes in a named charset (vCard 2.1's `CHARSET=`); unknown names fall back to
/// UTF-8 when valid, else Windows-1252.
pub fn decode_charset(bytes: &[u8], charset: &str) -> String {
    match encoding_rs::Encoding::for_label(charset.trim().as_bytes()) {
        Some(encoding) => encoding.decode_without_bom_handling(bytes).0.into_owned(),
        None => decode(bytes).0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_bom_is_read_without_it() {
        let (text, encoding) = decode(b"\xEF\xBB\xBFJ\xC3\xB6rg");
        assert_eq!(
            (text.as_str(), encoding),
            ("Jörg", Encoding::Utf8),
            "the BOM is not part of the text"
        );
    }

    #[test]
    fn windows_1252_umlauts_and_euro_are_read() {
        let (text, encoding) = decode(b"M\xFCller \x80");
        assert_eq!(
            (text.as_str(), encoding),
            ("Müller €", Encoding::Windows1252)
        );
    }

    #[test]
    fn detecting_block_by_block_agrees_with_decoding_the_whole() {
        /// Hands out three bytes at a time, so reads cut through every character somewhere.
        struct Trickle<'a>(&'a [u8]);
        impl std::io::Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(buf.len()).min(3);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let utf8 = "Jörg Müller € ".repeat(20_000);
        assert_eq!(detect(Trickle(utf8.as_bytes())).unwrap(), Encoding::Utf8);
        assert_eq!(detect(utf8.as_bytes()).unwrap(), Encoding::Utf8);
        let mut latin = utf8.clone().into_bytes();
        latin.extend_from_slice(b"M\xFCller");
        assert_eq!(detect(Trickle(&latin)).unwrap(), Encoding::Windows1252);
        assert_eq!(
            detect(&b"ok \xC3"[..]).unwrap(),
            Encoding::Windows1252,
            "a character cut off at the end"
        );
        assert_eq!(detect(&b""[..]).unwrap(), Encoding::Utf8);
    }

    #[test]
    fn named_charsets_decode() {
        assert_eq!(decode_charset(b"M\xFCller", "ISO-8859-1"), "Müller");
        assert_eq!(decode_charset(b"M\xC3\xBCller", "utf-8"), "Müller");
    }
}
