//! The one search rule for calls and contacts: every word of the query appears in the name,
//! the company or another shown text (in any order: "Krüger Anna" finds "Anna Krüger"), or the
//! query is a number in any written form ("+49 (0)221 555 09-99", "0049 221 5550999",
//! "0221 555") and a number contains it.

use crate::phone::{PhoneNumber, Region};

/// A prepared search: lower-cased words, and the digits a number must contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    words: Vec<String>,
    digits: Vec<String>,
}

impl Search {
    /// Prepares `query` for numbers written in `region`; `None` for a blank query.
    pub fn new(query: &str, region: Region) -> Option<Self> {
        let query = query.trim();
        if query.is_empty() {
            return None;
        }
        let words = query
            .to_lowercase()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        Some(Self {
            words,
            digits: number_digits(query, region),
        })
    }

    /// The lower-cased words, each of which a text match needs.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The digit runs an E.164 key may contain for a number match (one is enough); empty
    /// unless the query is a number.
    pub fn digits(&self) -> &[String] {
        &self.digits
    }

    /// Whether every word appears in one of `texts` (already lower-cased).
    pub fn matches_words(&self, texts: &[&str]) -> bool {
        self.words
            .iter()
            .all(|word| texts.iter().any(|text| text.contains(word.as_str())))
    }

    /// Whether the number with key `e164` contains the query's number.
    pub fn matches_number(&self, e164: &str) -> bool {
        let key = e164.trim_start_matches('+');
        self.digits
            .iter()
            .any(|digits| key.contains(digits.as_str()))
    }
}

/// The digit runs of an E.164 key a query may stand for: as a whole number in any written
/// form, its key ("0049 221 5550999" -> "492215550999"); as a fragment, its digits without a
/// trunk or international prefix ("0211 123" -> "211123", "5550999" stays). Both, because
/// "5550999" reads as a whole number too (+49 5550999) while people mean a part of one. None
/// for text with letters or fewer than three digits.
fn number_digits(query: &str, region: Region) -> Vec<String> {
    if query.chars().any(char::is_alphabetic) {
        return Vec::new();
    }
    // "(0)" is the trunk prefix people write inside international numbers.
    let cleaned = query.replace("(0)", "");
    let digits: String = cleaned.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 3 {
        return Vec::new();
    }
    let fragment = match digits.strip_prefix("00") {
        Some(rest) => rest,
        None => digits.strip_prefix('0').unwrap_or(&digits),
    };
    let mut runs = vec![fragment.to_string()];
    if let Ok(number) = PhoneNumber::parse(query, region) {
        let key = number.e164().trim_start_matches('+').to_string();
        if !runs.contains(&key) {
            runs.push(key);
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    const ANNA: &str = "+492215550999";

    #[rstest]
    #[case::international_with_trunk("+49 (0)221 555 09-99")]
    #[case::international_prefix("0049 221 5550999")]
    #[case::national("0221 5550999")]
    #[case::national_fragment("0221 555")]
    #[case::plain_digits("5550999")]
    #[case::dashes_and_slashes("0221/555-09")]
    #[case::international_fragment("+49 221 555")]
    fn any_written_form_of_a_number_finds_it(#[case] query: &str) {
        let search = Search::new(query, Region::DE).expect("not blank");
        assert!(
            search.matches_number(ANNA),
            "{query} -> {:?}",
            search.digits()
        );
    }

    #[rstest]
    #[case::other_number("0221 5550998")]
    #[case::too_short("02")]
    #[case::words("Anna")]
    fn other_queries_do_not_match_the_number(#[case] query: &str) {
        let search = Search::new(query, Region::DE).expect("not blank");
        assert!(!search.matches_number(ANNA), "{query}");
    }

    #[rstest]
    #[case::name("anna")]
    #[case::surname_first("Krüger Anna")]
    #[case::name_and_company("anna acme")]
    #[case::upper_case("KRÜGER")]
    fn words_match_in_any_order_across_the_shown_texts(#[case] query: &str) {
        let search = Search::new(query, Region::DE).expect("not blank");
        assert!(
            search.matches_words(&["anna krüger", "acme gmbh"]),
            "{query}"
        );
    }

    #[test]
    fn every_word_must_match_and_blank_is_no_search() {
        let search = Search::new("anna müller", Region::DE).expect("not blank");
        assert!(!search.matches_words(&["anna krüger", "acme gmbh"]));
        assert_eq!(Search::new("   ", Region::DE), None);
    }
}
