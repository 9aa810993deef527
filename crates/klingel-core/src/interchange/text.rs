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
    fn named_charsets_decode() {
        assert_eq!(decode_charset(b"M\xFCller", "ISO-8859-1"), "Müller");
        assert_eq!(decode_charset(b"M\xC3\xBCller", "utf-8"), "Müller");
    }
}
