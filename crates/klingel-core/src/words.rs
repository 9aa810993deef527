//! The words Klingel speaks outside the window (popups, tray, test calls, CLI, exports), read
//! from the window's own dictionaries `ui/i18n/{de,en}.json`, so that a call's outcome reads
//! the same in every place.
//!
//! The dictionaries are compiled in: the core has no files to find at run time, and a missing
//! key is caught by the tests, not by a user.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::config::Language;

// The window's dictionaries, shared with the core on purpose (see the module comment).
const DE: &str = include_str!("../../../ui/i18n/de.json");
const EN: &str = include_str!("../../../ui/i18n/en.json");

/// One language's dictionary.
#[derive(Debug)]
pub struct Words {
    language: Language,
    entries: HashMap<String, String>,
}

impl Words {
    /// The dictionary of `language`.
    pub fn of(language: Language) -> &'static Words {
        static DE_WORDS: OnceLock<Words> = OnceLock::new();
        static EN_WORDS: OnceLock<Words> = OnceLock::new();
        match language {
            Language::De => DE_WORDS.get_or_init(|| Self::parse(language, DE)),
            Language::En => EN_WORDS.get_or_init(|| Self::parse(language, EN)),
        }
    }

    fn parse(language: Language, json: &str) -> Self {
        // The files are part of the build and checked by the tests; an unreadable one must not
        // take the app down, so it degrades to showing keys.
        let entries = serde_json::from_str(json).unwrap_or_else(|e| {
            tracing::error!("the {language:?} dictionary does not parse: {e}");
            HashMap::new()
        });
        Self { language, entries }
    }

    /// The language.
    pub fn language(&self) -> Language {
        self.language
    }

    /// Whether the dictionary has `key`.
    pub fn has(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// The text for `key` with `{name}` placeholders filled in; the key itself when missing.
    pub fn text(&self, key: &str, vars: &[(&str, &str)]) -> String {
        let Some(template) = self.entries.get(key) else {
            tracing::warn!("no {:?} words for {key}", self.language);
            return key.to_string();
        };
        let mut text = template.clone();
        for (name, value) in vars {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_dictionaries_parse_and_hold_the_same_keys() {
        let de = Words::of(Language::De);
        let en = Words::of(Language::En);
        assert!(de.entries.len() > 100, "the German dictionary must parse");
        let mut missing: Vec<&String> = en.entries.keys().filter(|k| !de.has(k)).collect();
        missing.extend(de.entries.keys().filter(|k| !en.has(k)));
        assert!(missing.is_empty(), "keys only in one language: {missing:?}");
    }

    #[test]
    fn setup_names_the_key_that_verified_a_push_in_both_languages() {
        for (language, names) in [
            (Language::De, ["sipgate", "hinterlegt", "Testschlüssel"]),
            (Language::En, ["sipgate", "configured", "test key"]),
        ] {
            let words = Words::of(language);
            let keys = [
                "verdict.sigOkSipgate",
                "verdict.sigOkConfigured",
                "verdict.sigTestKey",
            ];
            for (key, name) in keys.iter().zip(names) {
                let text = words.text(key, &[]);
                assert!(text.contains(name), "{language:?} {key}: {text:?}");
            }
        }
    }

    #[test]
    fn placeholders_are_filled_and_missing_keys_show_themselves() {
        let en = Words::of(Language::En);
        assert_eq!(
            en.text("outcome.answeredBy", &[("name", "Bob")]),
            "answered by Bob"
        );
        assert_eq!(en.text("no.such.key", &[]), "no.such.key");
    }
}
