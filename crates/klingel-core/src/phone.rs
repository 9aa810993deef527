//! Phone numbers as people type them and as sipgate sends them, normalised to E.164.
//!
//! Contacts are matched by their E.164 key, so every spelling of a number must meet at
//! the same key. libphonenumber's validity data is only consulted to *choose* between
//! interpretations and to format; it never drops digits, because German switchboard
//! extensions (`0211 12345-99`) are longer than its data allows and must survive intact.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use phonenumber::country::Id;
use phonenumber::metadata::{Database, Metadata, DATABASE};
use phonenumber::Mode;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// E.164 caps a number at 15 digits including the country code.
const MAX_E164_DIGITS: usize = 15;
/// Shorter national numbers do not exist in practice; rejecting them catches typos and short codes.
const MIN_NATIONAL_DIGITS: usize = 4;
/// Anything with fewer digits is certainly not a number somebody wants to store.
const MIN_INPUT_DIGITS: usize = 3;
/// Country calling codes have one to three digits (ITU-T E.164).
const MAX_COUNTRY_CODE_DIGITS: usize = 3;
/// Switchboard prefixes shorter than this would match whole area codes.
const MIN_PREFIX_NATIONAL_DIGITS: usize = 2;
/// RFC 3966 scheme, as produced by "copy link" in browsers and some address books.
const TEL_SCHEME: &str = "tel:";

/// The libphonenumber metadata shipped with the `phonenumber` crate.
fn database() -> &'static Database {
    &DATABASE
}

/// Default region for numbers written without country code, e.g. DE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(Id);

impl Region {
    /// Germany, where Klingel's users are.
    pub const DE: Region = Region(Id::DE);

    /// The two-letter ISO code, e.g. "DE".
    pub fn code(self) -> &'static str {
        // Every constructor checks that metadata exists, so the fallback is unreachable;
        // "ZZ" is CLDR's "unknown region" rather than a panic.
        self.metadata().map_or("ZZ", Metadata::id)
    }

    /// The underlying `phonenumber` country id.
    pub fn id(self) -> Id {
        self.0
    }

    /// The country calling code of this region, e.g. 49 for DE.
    pub fn calling_code(self) -> u16 {
        self.metadata().map_or(0, Metadata::country_code)
    }

    /// libphonenumber's metadata for this region.
    fn metadata(self) -> Option<&'static Metadata> {
        database().by_id(self.0.as_ref())
    }

    /// Builds a region from a metadata id, rejecting ids without metadata (e.g. "001").
    fn from_code(code: &str) -> Option<Self> {
        let id = Id::from_str(code).ok()?;
        database().by_id(id.as_ref()).map(|_| Region(id))
    }
}

impl Default for Region {
    fn default() -> Self {
        Self::DE
    }
}

impl FromStr for Region {
    type Err = PhoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let code = s.trim().to_ascii_uppercase();
        Region::from_code(&code).ok_or_else(|| PhoneError::UnknownRegion(s.trim().to_owned()))
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Region {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Region {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        code.parse().map_err(serde::de::Error::custom)
    }
}

/// Why a string could not be read as a phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Nothing (or only whitespace) was given.
    #[error("no phone number given")]
    Empty,
    /// Digits mixed with characters that have no place in a phone number.
    #[error("phone number contains invalid characters: {0:?}")]
    InvalidCharacters(String),
    /// Too few digits to be a phone number.
    #[error("phone number is too short")]
    TooShort,
    /// More digits than E.164 allows.
    #[error("phone number is too long (at most 15 digits)")]
    TooLong,
    /// The international prefix is followed by no known country code.
    #[error("unknown country code")]
    UnknownCountryCode,
    /// A region code that is not a known two-letter country code.
    #[error("unknown region: {0:?}")]
    UnknownRegion(String),
    /// Input without any digits, e.g. a name typed into the number field.
    #[error("not a phone number: {0:?}")]
    NotANumber(String),
}

impl PhoneError {
    /// A stable code for user interfaces to translate.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::InvalidCharacters(_) => "invalid_characters",
            Self::TooShort => "too_short",
            Self::TooLong => "too_long",
            Self::UnknownCountryCode => "unknown_country_code",
            Self::UnknownRegion(_) => "unknown_region",
            Self::NotANumber(_) => "not_a_number",
        }
    }
}

/// A phone number normalised to E.164.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    /// "+" followed by country code and national significant number.
    e164: String,
    /// Country calling code; kept so the split between code and national part is known.
    code: u16,
}

impl PhoneNumber {
    /// Parses anything a person types, with `region` for numbers without country code.
    pub fn parse(input: &str, region: Region) -> Result<Self, PhoneError> {
        let cleaned = clean(input)?;
        let digits = cleaned.digits.as_str();
        if cleaned.plus {
            return international(digits, true);
        }
        if let Some(rest) = strip_international_prefix(digits, region) {
            return international(rest, true);
        }
        if digits.starts_with('0') {
            return national(digits, region);
        }
        // Bare digits are what sipgate shows and what people copy from it, so they are
        // tried as E.164 without '+' first; only a length the country really uses counts,
        // otherwise "2125551234" (US) would become a Moroccan number.
        let as_international = international(digits, false);
        if let Ok(number) = &as_international {
            if number.has_possible_length() {
                return as_international;
            }
        }
        national(digits, region).or_else(|err| as_international.map_err(|_| err))
    }

    /// Parses sipgate's wire form (E.164 digits without '+').
    pub fn from_sipgate(raw: &str) -> Result<Self, PhoneError> {
        let trimmed = raw.trim();
        // Tolerate a '+' in case the API ever starts sending proper E.164.
        let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneError::NotANumber(trimmed.to_owned()));
        }
        if digits.len() < MIN_INPUT_DIGITS {
            return Err(PhoneError::TooShort);
        }
        // The wire form is authoritative: no trunk-prefix stripping, digits are kept as sent.
        international(digits, false)
    }

    /// The E.164 key, e.g. "+492111234567".
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// The E.164 digits without '+', as sipgate sends and expects them.
    pub fn sipgate_digits(&self) -> &str {
        self.e164.get(1..).unwrap_or_default()
    }

    /// The country calling code, e.g. 49.
    pub fn country_code(&self) -> u16 {
        self.code
    }

    /// The national significant number: everything after the country code, e.g. "2111234567".
    pub fn national_significant_number(&self) -> &str {
        self.e164
            .get(1 + digit_count(self.code)..)
            .unwrap_or_default()
    }

    /// International form for display, e.g. "+49 211 1234567".
    pub fn international(&self) -> String {
        if let Some(formatted) = self.library_format(Mode::International) {
            return formatted;
        }
        let nsn = self.national_significant_number();
        match self.area_code() {
            Some(area) => format!("+{} {area} {}", self.code, &nsn[area.len()..]),
            None => format!("+{} {nsn}", self.code),
        }
    }

    /// National form for display, e.g. "0211 1234567".
    pub fn national(&self) -> String {
        if let Some(formatted) = self.library_format(Mode::National) {
            return formatted;
        }
        let nsn = self.national_significant_number();
        let trunk = self
            .metadata()
            .and_then(Metadata::national_prefix)
            .unwrap_or_default();
        match self.area_code() {
            Some(area) => format!("{trunk}{area} {}", &nsn[area.len()..]),
            None => format!("{trunk}{nsn}"),
        }
    }

    /// National form when the number belongs to `region`, international otherwise.
    pub fn display(&self, region: Region) -> String {
        if self.region() == Some(region) {
            self.national()
        } else {
            self.international()
        }
    }

    /// The number's own region if known.
    pub fn region(&self) -> Option<Region> {
        let from_number = self
            .library_number()
            .and_then(|number| number.country().id())
            .and_then(|id| Region::from_code(id.as_ref()));
        // Numbers outside libphonenumber's ranges (extensions) still have a country code;
        // when that code has a main country, the number belongs there.
        from_number.or_else(|| {
            self.metadata()
                .and_then(|meta| Region::from_code(meta.id()))
        })
    }

    /// Every prefix of the E.164 key a switchboard entry could have, longest first (for prefix lookups): "+4921112345099" -> ["+4921112345099","+492111234509",...,"+49..."] down to country code + 2 digits.
    pub fn prefixes(&self) -> Vec<String> {
        let shortest = 1 + digit_count(self.code) + MIN_PREFIX_NATIONAL_DIGITS;
        (shortest..=self.e164.len())
            .rev()
            .filter_map(|len| self.e164.get(..len).map(str::to_owned))
            .collect()
    }

    /// Builds a number after checking the lengths every interpretation must respect.
    fn from_parts(code: u16, nsn: &str) -> Result<Self, PhoneError> {
        if digit_count(code) + nsn.len() > MAX_E164_DIGITS {
            return Err(PhoneError::TooLong);
        }
        if nsn.len() < MIN_NATIONAL_DIGITS {
            return Err(PhoneError::TooShort);
        }
        Ok(Self {
            e164: format!("+{code}{nsn}"),
            code,
        })
    }

    /// libphonenumber's view of this number, only if it kept every digit.
    fn library_number(&self) -> Option<phonenumber::PhoneNumber> {
        let number = phonenumber::parse(None, &self.e164).ok()?;
        // Its parser may strip what it takes for a trunk or carrier prefix; formatting such
        // a number would show different digits than the key, so it is not used then.
        let same_digits = number.code().value() == self.code
            && number.extension().is_none()
            && number.national().to_string() == self.national_significant_number();
        same_digits.then_some(number)
    }

    /// Formats with libphonenumber, or `None` when it cannot group the digits.
    fn library_format(&self, mode: Mode) -> Option<String> {
        let number = self.library_number()?;
        let mut out = String::new();
        // Writing instead of `to_string()`: the formatter reports unknown codes as
        // `fmt::Error`, which `to_string()` would turn into a panic.
        write!(out, "{}", number.format().mode(mode)).ok()?;
        let nsn = self.national_significant_number();
        // Without a matching pattern the formatter emits the digits unchanged, which is
        // less readable than our own grouping.
        let ungrouped = match mode {
            Mode::International => out == format!("+{} {nsn}", self.code),
            Mode::National | Mode::E164 | Mode::Rfc3966 => out == nsn,
        };
        (!ungrouped).then_some(out)
    }

    /// The area code, found by letting libphonenumber group ever shorter heads of the number.
    ///
    /// Extensions make a number longer than libphonenumber's patterns, but the head of the
    /// number is a regular number whose first group is the area code.
    fn area_code(&self) -> Option<&str> {
        let nsn = self.national_significant_number();
        (MIN_NATIONAL_DIGITS..nsn.len()).rev().find_map(|len| {
            let head = Self::from_parts(self.code, nsn.get(..len)?).ok()?;
            let formatted = head.library_format(Mode::International)?;
            let after_code = formatted.get(1 + digit_count(self.code)..)?;
            let first_group: &str = after_code
                .trim_start()
                .split(|c: char| !c.is_ascii_digit())
                .next()?;
            let is_area =
                !first_group.is_empty() && first_group.len() < len && nsn.starts_with(first_group);
            is_area.then(|| &nsn[..first_group.len()])
        })
    }

    /// Metadata of the main country for this number's code.
    fn metadata(&self) -> Option<&'static Metadata> {
        main_metadata(self.code)
    }

    /// Whether libphonenumber knows numbers of this length for the country code.
    fn has_possible_length(&self) -> bool {
        let Ok(len) = u16::try_from(self.national_significant_number().len()) else {
            return false;
        };
        database()
            .by_code(&self.code)
            .unwrap_or_default()
            .into_iter()
            .any(|meta| possible_lengths(meta).any(|possible| possible == len))
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.international())
    }
}

impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.e164)
    }
}

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        // Stored keys carry their '+', so the region only matters for hand-edited files.
        PhoneNumber::parse(&raw, Region::DE).map_err(serde::de::Error::custom)
    }
}

/// Who a push says is calling: a number, withheld, or something that is not a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A number that parsed as E.164.
    Number(PhoneNumber),
    /// The caller suppressed their number.
    Withheld,
    /// Something else, e.g. a SIP id; kept verbatim so it can still be shown.
    Unparsed(String),
}

impl Caller {
    /// Interprets a raw `from`/`to` value from a push: "anonymous" or empty = Withheld; E.164 digits = Number; else Unparsed(raw).
    pub fn from_push(raw: Option<&str>) -> Self {
        let Some(raw) = raw else {
            return Caller::Withheld;
        };
        let trimmed = raw.trim();
        // Older sipgate pushes sent an empty value instead of "anonymous".
        if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("anonymous") {
            return Caller::Withheld;
        }
        PhoneNumber::from_sipgate(trimmed)
            .map_or_else(|_| Caller::Unparsed(raw.to_owned()), Caller::Number)
    }

    /// The number, if there is one.
    pub fn number(&self) -> Option<&PhoneNumber> {
        match self {
            Caller::Number(number) => Some(number),
            Caller::Withheld | Caller::Unparsed(_) => None,
        }
    }
}

/// User input reduced to its digits.
struct Cleaned {
    /// Whether the digits were introduced by '+'.
    plus: bool,
    digits: String,
}

/// Strips formatting from user input, rejecting anything that is not part of a number.
fn clean(input: &str) -> Result<Cleaned, PhoneError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    let body = match trimmed.get(..TEL_SCHEME.len()) {
        Some(scheme) if scheme.eq_ignore_ascii_case(TEL_SCHEME) => &trimmed[TEL_SCHEME.len()..],
        _ => trimmed,
    };
    let mut plus = false;
    let mut digits = String::new();
    let mut stray = false;
    for c in body.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if c == '+' && !plus && digits.is_empty() {
            plus = true;
        } else if !is_separator(c) {
            stray = true;
        }
    }
    if digits.is_empty() {
        return Err(PhoneError::NotANumber(trimmed.to_owned()));
    }
    if stray {
        return Err(PhoneError::InvalidCharacters(trimmed.to_owned()));
    }
    if digits.len() < MIN_INPUT_DIGITS {
        return Err(PhoneError::TooShort);
    }
    Ok(Cleaned { plus, digits })
}

/// Characters people put between digits for readability.
fn is_separator(c: char) -> bool {
    // Word and Outlook signatures turn '-' into dashes and spaces into no-break spaces.
    c.is_whitespace()
        || matches!(
            c,
            '/' | '-' | '.' | '(' | ')' | '\u{2010}'..='\u{2015}' | '\u{2212}'
        )
}

/// The digits after an international call prefix ("00", or the region's own, e.g. US "011").
fn strip_international_prefix(digits: &str, region: Region) -> Option<&str> {
    if let Some(rest) = digits.strip_prefix("00") {
        return Some(rest);
    }
    let prefix = region.metadata()?.international_prefix()?.find(digits)?;
    (prefix.start() == 0 && prefix.end() > 0 && prefix.end() < digits.len())
        .then(|| &digits[prefix.end()..])
}

/// Reads digits that start with a country code.
///
/// With `strip_trunk`, a trunk 0 right after the code is dropped: "+49 (0)211" is how
/// Germans write numbers, and "+49 0211" is a common mistake with the same meaning.
fn international(digits: &str, strip_trunk: bool) -> Result<PhoneNumber, PhoneError> {
    let (code, rest) = split_country_code(digits)?;
    let trunk_is_zero = main_metadata(code).and_then(Metadata::national_prefix) == Some("0");
    let nsn = match rest.strip_prefix('0') {
        Some(without_trunk) if strip_trunk && trunk_is_zero => without_trunk,
        _ => rest,
    };
    PhoneNumber::from_parts(code, nsn)
}

/// Reads a number dialled within `region`, dropping its trunk prefix.
fn national(digits: &str, region: Region) -> Result<PhoneNumber, PhoneError> {
    let metadata = region
        .metadata()
        .ok_or_else(|| PhoneError::UnknownRegion(region.0.as_ref().to_owned()))?;
    let nsn = metadata
        .national_prefix()
        .and_then(|trunk| digits.strip_prefix(trunk))
        .unwrap_or(digits);
    PhoneNumber::from_parts(metadata.country_code(), nsn)
}

/// Splits a known country calling code off the front of `digits`.
fn split_country_code(digits: &str) -> Result<(u16, &str), PhoneError> {
    // Country codes are prefix-free, so the first known one is the only one.
    (1..=MAX_COUNTRY_CODE_DIGITS)
        .filter_map(|len| {
            let code: u16 = digits.get(..len)?.parse().ok()?;
            let known = database().region(&code).is_some();
            known.then(|| (code, &digits[len..]))
        })
        .next()
        .ok_or(PhoneError::UnknownCountryCode)
}

/// Metadata of the main country for `code` (e.g. US for +1, GB for +44).
fn main_metadata(code: u16) -> Option<&'static Metadata> {
    let candidates = database().by_code(&code)?;
    candidates
        .iter()
        .copied()
        .find(|meta| meta.is_main_country_for_code())
        .or_else(|| candidates.first().copied())
}

/// National number lengths libphonenumber knows for a country, across all number types.
fn possible_lengths(meta: &Metadata) -> impl Iterator<Item = u16> + '_ {
    let descriptors = meta.descriptors();
    // The general descriptor's lengths are not filled in by this crate's loader, so
    // the union of the typed descriptors stands in for them.
    [
        Some(descriptors.general()),
        descriptors.fixed_line(),
        descriptors.mobile(),
        descriptors.toll_free(),
        descriptors.premium_rate(),
        descriptors.shared_cost(),
        descriptors.personal_number(),
        descriptors.voip(),
        descriptors.pager(),
        descriptors.uan(),
        descriptors.voicemail(),
    ]
    .into_iter()
    .flatten()
    .flat_map(|descriptor| descriptor.possible_length().iter().copied())
}

/// Number of decimal digits of a country code.
fn digit_count(code: u16) -> usize {
    code.checked_ilog10().map_or(1, |log| log as usize + 1)
}

/// Loads the numbering metadata now, so the first push after start is not the one that waits.
pub fn warm_up() {
    let _ = PhoneNumber::parse("+49 211 1234567", Region::DE).map(|n| n.display(Region::DE));
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn de(input: &str) -> PhoneNumber {
        PhoneNumber::parse(input, Region::DE)
            .unwrap_or_else(|err| panic!("{input:?} should parse with region DE: {err}"))
    }

    fn region(code: &str) -> Region {
        code.parse()
            .unwrap_or_else(|err| panic!("{code:?} should be a region: {err}"))
    }

    #[rstest]
    #[case("0211 1234567")]
    #[case("+49 (0)211 123 45-67")]
    #[case("0049 211 1234567")]
    #[case("0211/1234567")]
    #[case("+49 211 1234567")]
    #[case("492111234567")]
    #[case("(0211) 1234567")]
    #[case("+49 0211 1234567")]
    #[case("0211-123 45 67")]
    #[case("tel:+49-211-1234567")]
    #[case("  0211\u{a0}123\u{2013}45\u{2013}67 ")]
    fn every_german_spelling_of_a_number_meets_at_one_e164_key(#[case] input: &str) {
        assert_eq!(
            de(input).e164(),
            "+492111234567",
            "contacts are matched by E.164 key, so {input:?} must give the same key"
        );
    }

    #[rstest]
    #[case("0171 2345678", "+491712345678")]
    #[case("+49 171 2345678", "+491712345678")]
    #[case("0211 12345-0", "+49211123450")]
    #[case("0211 12345-99", "+492111234599")]
    #[case("+49 211 12345-0", "+49211123450")]
    #[case("0211 12345-9999", "+49211123459999")]
    #[case("4915791234567", "+4915791234567")]
    #[case("4921112345099", "+4921112345099")]
    #[case("030 123456", "+4930123456")]
    fn german_mobiles_switchboards_and_extensions_keep_every_digit(
        #[case] input: &str,
        #[case] expected: &str,
    ) {
        assert_eq!(
            de(input).e164(),
            expected,
            "switchboard and extension digits decide which contact rings, none may be dropped"
        );
    }

    #[rstest]
    #[case("+43 1 5123456", "DE", "+4315123456")]
    #[case("0043 1 5123456", "DE", "+4315123456")]
    #[case("01 5123456", "AT", "+4315123456")]
    #[case("+43 (0)1 5123456", "DE", "+4315123456")]
    #[case("+41 44 668 18 00", "DE", "+41446681800")]
    #[case("044 668 18 00", "CH", "+41446681800")]
    #[case("+44 20 7946 0958", "DE", "+442079460958")]
    #[case("+44 (0)20 7946 0958", "DE", "+442079460958")]
    #[case("020 7946 0958", "GB", "+442079460958")]
    #[case("+1 212 555 1234", "DE", "+12125551234")]
    #[case("001 212 555 1234", "DE", "+12125551234")]
    #[case("(212) 555-1234", "US", "+12125551234")]
    #[case("2125551234", "US", "+12125551234")]
    #[case("1 212 555 1234", "US", "+12125551234")]
    #[case("011 49 211 1234567", "US", "+492111234567")]
    fn foreign_numbers_parse_with_prefix_or_their_own_region(
        #[case] input: &str,
        #[case] region_code: &str,
        #[case] expected: &str,
    ) {
        let number = PhoneNumber::parse(input, region(region_code))
            .unwrap_or_else(|err| panic!("{input:?} in {region_code} should parse: {err}"));
        assert_eq!(
            number.e164(),
            expected,
            "{input:?} typed in {region_code} must reach the foreign contact's key"
        );
    }

    #[rstest]
    #[case("", PhoneError::Empty)]
    #[case("   ", PhoneError::Empty)]
    #[case("abc", PhoneError::NotANumber("abc".into()))]
    #[case("tel:", PhoneError::NotANumber("tel:".into()))]
    #[case("12", PhoneError::TooShort)]
    #[case("+49 12", PhoneError::TooShort)]
    #[case("+999 1234", PhoneError::UnknownCountryCode)]
    #[case("12345678901234567890", PhoneError::TooLong)]
    #[case("+49 211 1234567890123", PhoneError::TooLong)]
    #[case("0211 12a45", PhoneError::InvalidCharacters("0211 12a45".into()))]
    #[case("0211 1234567 ext 5", PhoneError::InvalidCharacters("0211 1234567 ext 5".into()))]
    #[case("+49 +211", PhoneError::InvalidCharacters("+49 +211".into()))]
    fn input_that_is_clearly_not_a_number_is_rejected(
        #[case] input: &str,
        #[case] expected: PhoneError,
    ) {
        assert_eq!(
            PhoneNumber::parse(input, Region::DE),
            Err(expected),
            "{input:?} is not a phone number and must be refused with a helpful reason"
        );
    }

    #[test]
    fn errors_read_as_short_english_reasons() {
        assert_eq!(
            PhoneError::NotANumber("abc".into()).to_string(),
            "not a phone number: \"abc\"",
            "the message is shown to users next to the input field"
        );
    }

    #[rstest]
    #[case(Some("anonymous"), Caller::Withheld)]
    #[case(Some("ANONYMOUS"), Caller::Withheld)]
    #[case(Some(""), Caller::Withheld)]
    #[case(None, Caller::Withheld)]
    #[case(Some("492111234567"), Caller::Number(de("+492111234567")))]
    #[case(Some("4921112345099"), Caller::Number(de("+4921112345099")))]
    #[case(Some("123456e0"), Caller::Unparsed("123456e0".into()))]
    #[case(Some("00000"), Caller::Unparsed("00000".into()))]
    #[case(Some("12"), Caller::Unparsed("12".into()))]
    fn push_values_become_numbers_withheld_or_unparsed(
        #[case] raw: Option<&str>,
        #[case] expected: Caller,
    ) {
        assert_eq!(
            Caller::from_push(raw),
            expected,
            "the notification must say who calls, or that the number is withheld or odd"
        );
    }

    #[test]
    fn a_caller_exposes_its_number_only_when_it_has_one() {
        assert_eq!(
            Caller::from_push(Some("492111234567"))
                .number()
                .map(PhoneNumber::e164),
            Some("+492111234567"),
            "contact lookup needs the number of a numbered caller"
        );
        assert_eq!(
            Caller::Withheld.number(),
            None,
            "withheld callers have nothing to look up"
        );
    }

    #[test]
    fn sipgate_digits_round_trip_through_the_wire_form() {
        let number = PhoneNumber::from_sipgate("492111234567")
            .unwrap_or_else(|err| panic!("sipgate's own form must parse: {err}"));
        assert_eq!(
            number.sipgate_digits(),
            "492111234567",
            "numbers sent back to sipgate must be in its format"
        );
        assert_eq!(
            number.e164(),
            "+492111234567",
            "the wire form maps straight onto the E.164 key"
        );
    }

    #[rstest]
    #[case("+492111234567", "0211 1234567", "+49 211 1234567")]
    #[case("+491712345678", "0171 2345678", "+49 171 2345678")]
    #[case("+4930123456", "030 123456", "+49 30 123456")]
    #[case("+4921112345099", "0211 12345099", "+49 211 12345099")]
    #[case("+442079460958", "+44 20 7946 0958", "+44 20 7946 0958")]
    #[case("+12125551234", "+1 212-555-1234", "+1 212-555-1234")]
    #[case("+4315123456", "+43 1 5123456", "+43 1 5123456")]
    fn display_is_national_at_home_and_international_abroad(
        #[case] e164: &str,
        #[case] in_germany: &str,
        #[case] international: &str,
    ) {
        let number = de(e164);
        assert_eq!(
            number.display(Region::DE),
            in_germany,
            "German users expect home numbers without +49 and foreign ones with their code"
        );
        assert_eq!(
            number.international(),
            international,
            "the international form must be grouped the way the product shows it"
        );
        assert_eq!(
            number.to_string(),
            international,
            "Display is the international form so logs are unambiguous"
        );
    }

    #[test]
    fn foreign_numbers_display_nationally_in_their_own_region() {
        assert_eq!(
            de("+12125551234").display(region("US")),
            "(212) 555-1234",
            "a US user sees US numbers the US way"
        );
        assert_eq!(
            de("+4315123456").display(region("AT")),
            "01 5123456",
            "an Austrian user sees Vienna numbers with trunk 0"
        );
    }

    #[rstest]
    #[case("+44 20 7946 0958 12", "+44 20 7946095812", "020 7946095812")]
    #[case("+1 212 555 12345", "+1 212 55512345", "1212 55512345")]
    #[case("+7 800 555 3535", "+7 8005553535", "88005553535")]
    fn numbers_libphonenumber_cannot_format_keep_all_digits_grouped_by_area_code(
        #[case] input: &str,
        #[case] international: &str,
        #[case] national: &str,
    ) {
        let number = de(input);
        assert_eq!(
            number.international(),
            international,
            "extension-style numbers must still show every digit, split after the area code"
        );
        assert_eq!(
            number.national(),
            national,
            "the national fallback uses the country's trunk prefix and the same grouping"
        );
    }

    #[rstest]
    #[case("+492111234567", Some("DE"))]
    #[case("+4921112345099", Some("DE"))]
    #[case("+442079460958", Some("GB"))]
    #[case("+12125551234", Some("US"))]
    #[case("+41446681800", Some("CH"))]
    fn a_number_knows_its_own_region(#[case] e164: &str, #[case] expected: Option<&str>) {
        assert_eq!(
            de(e164).region().map(Region::code),
            expected,
            "display decides between national and international form by the region"
        );
    }

    #[test]
    fn prefixes_run_from_the_full_key_down_to_country_code_and_two_digits() {
        let prefixes = de("+4921112345099").prefixes();
        assert_eq!(
            prefixes.first().map(String::as_str),
            Some("+4921112345099"),
            "the exact number must win over any switchboard"
        );
        assert_eq!(
            prefixes.get(1).map(String::as_str),
            Some("+492111234509"),
            "the next-longest switchboard prefix is tried next"
        );
        assert_eq!(
            prefixes.last().map(String::as_str),
            Some("+4921"),
            "shorter prefixes would match whole regions, not switchboards"
        );
        assert_eq!(
            prefixes.len(),
            "+4921112345099".len() - "+4921".len() + 1,
            "every length in between is a candidate, each exactly once"
        );
        assert!(
            prefixes
                .windows(2)
                .all(|pair| pair[0].len() == pair[1].len() + 1),
            "lookups rely on strictly longest-first order"
        );
    }

    #[rstest]
    #[case("de", "DE")]
    #[case("DE", "DE")]
    #[case(" at ", "AT")]
    #[case("ch", "CH")]
    fn region_codes_parse_case_and_space_insensitively(
        #[case] input: &str,
        #[case] expected: &str,
    ) {
        assert_eq!(
            region(input).code(),
            expected,
            "config files may spell the region any way"
        );
    }

    #[rstest]
    #[case("XX")]
    #[case("")]
    #[case("DEU")]
    #[case("001")]
    fn unknown_region_codes_are_rejected(#[case] input: &str) {
        assert_eq!(
            input.parse::<Region>(),
            Err(PhoneError::UnknownRegion(input.trim().to_owned())),
            "a typo in the config must be reported, not silently become some region"
        );
    }

    #[test]
    fn region_defaults_to_germany_and_displays_its_code() {
        assert_eq!(
            Region::default(),
            Region::DE,
            "Klingel is made for German offices"
        );
        assert_eq!(
            Region::DE.to_string(),
            "DE",
            "the config stores the two-letter code"
        );
        assert_eq!(Region::DE.calling_code(), 49, "Germany is +49");
    }

    #[test]
    fn serde_uses_plain_strings() {
        assert_eq!(
            serde_json::to_string(&Region::DE).ok().as_deref(),
            Some("\"DE\""),
            "regions are stored as their two-letter code"
        );
        assert_eq!(
            serde_json::from_str::<Region>("\"at\"").ok(),
            Some(region("AT")),
            "hand-written config may use lower case"
        );
        assert_eq!(
            serde_json::to_string(&de("0211 1234567")).ok().as_deref(),
            Some("\"+492111234567\""),
            "numbers are stored as their E.164 key"
        );
        assert_eq!(
            serde_json::from_str::<PhoneNumber>("\"+492111234567\"").ok(),
            Some(de("0211 1234567")),
            "a stored key reads back as the same number"
        );
    }

    #[rstest]
    #[case("+")]
    #[case("00")]
    #[case("0")]
    #[case("+0")]
    #[case("000000000000")]
    #[case("tel:+")]
    #[case("ｔｅｌ:+49")]
    #[case("+49 211 ١٢٣٤٥٦٧")]
    #[case("\u{0}")]
    fn odd_input_yields_an_error_instead_of_a_panic(#[case] input: &str) {
        assert!(
            PhoneNumber::parse(input, Region::DE).is_err(),
            "{input:?} must be refused gracefully"
        );
    }
}
