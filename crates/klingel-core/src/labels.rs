//! Number labels: the usual ones are stored as codes (`work`, `home`, `mobile`, `fax`, `main`,
//! `pager`, `other`) and shown in the reader's language; any other label is the user's own
//! and kept as typed. Imported files and older books say "cell", "Business", "Büro" or
//! "Handy"; all of those become codes.

/// The codes, in the order a form offers them.
pub const CODES: [&str; 7] = ["work", "mobile", "main", "home", "fax", "pager", "other"];

/// The code a label stands for, in English or German, any case; `None` for a label of the
/// user's own.
pub fn code_of(label: &str) -> Option<&'static str> {
    const WORDS: [(&str, &[&str]); 7] = [
        (
            "work",
            &[
                "work",
                "business",
                "office",
                "büro",
                "buero",
                "arbeit",
                "geschäftlich",
                "geschaeftlich",
                "dienstlich",
                "firma",
            ],
        ),
        (
            "mobile",
            &[
                "mobile",
                "mobil",
                "cell",
                "cellular",
                "handy",
                "iphone",
                "mobiltelefon",
            ],
        ),
        (
            "main",
            &[
                "main",
                "zentrale",
                "switchboard",
                "hauptnummer",
                "company main",
            ],
        ),
        (
            "home",
            &[
                "home", "private", "privat", "zuhause", "zu hause", "personal",
            ],
        ),
        (
            "fax",
            &["fax", "telefax", "work fax", "home fax", "fax geschäftlich"],
        ),
        ("pager", &["pager", "piepser"]),
        ("other", &["other", "sonstige", "andere", "weitere"]),
    ];
    let folded = label.trim().to_lowercase();
    WORDS
        .iter()
        .find(|(_, words)| words.contains(&folded.as_str()))
        .map(|(code, _)| *code)
}

/// What to store for a typed label: its code, or the label itself, trimmed.
pub fn normalize(label: &str) -> String {
    code_of(label).map_or_else(|| label.trim().to_string(), str::to_string)
}

/// The vCard `TYPE` for a stored label (vCard says `cell` where Klingel says `mobile`).
pub fn vcard_type(label: &str) -> &str {
    match label {
        "mobile" => "cell",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_words_become_codes_and_own_labels_stay() {
        for (typed, stored) in [
            ("Büro", "work"),
            ("BUSINESS", "work"),
            ("cell", "mobile"),
            ("Handy", "mobile"),
            ("Zentrale", "main"),
            ("privat", "home"),
            (" Fax ", "fax"),
            ("Lager", "Lager"),
            ("  Notdienst  ", "Notdienst"),
            ("", ""),
        ] {
            assert_eq!(normalize(typed), stored, "{typed:?}");
        }
        for code in CODES {
            assert_eq!(normalize(code), code, "a code stays itself");
        }
        assert_eq!(vcard_type("mobile"), "cell");
        assert_eq!(vcard_type("work"), "work");
    }
}
