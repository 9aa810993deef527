//! Who owns which number during an import, in little memory.
//!
//! An import of a million contacts holds two million numbers. Kept as strings in a map they
//! cost over a hundred bytes each; an E.164 number is a `+` and at most fifteen digits, so it
//! fits a `u64` key, and owner and flags fit a `u64` value. Anything else (never written by
//! Klingel's parser, but the book may hold foreign rows) goes to a small map of strings.
//! The keys are the file's own numbers, not an attacker's choice of colliding ones, so a
//! fast hash serves better than one hardened against flooding.

use rustc_hash::FxHashMap;

/// A number's owner and what the import did with the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Owner {
    /// The contact the number belongs to.
    pub id: i64,
    /// The number was added by this import.
    pub added: bool,
    /// The number is a switchboard (matches its extensions too).
    pub switchboard: bool,
}

const ADDED: u64 = 1 << 62;
const SWITCHBOARD: u64 = 1 << 61;
const ID_BITS: u64 = SWITCHBOARD - 1;

impl Owner {
    fn pack(self) -> u64 {
        // Row ids are positive and far below 2^61: SQLite hands them out counting up.
        let mut packed = self.id as u64 & ID_BITS;
        if self.added {
            packed |= ADDED;
        }
        if self.switchboard {
            packed |= SWITCHBOARD;
        }
        packed
    }

    fn unpack(packed: u64) -> Self {
        Self {
            id: (packed & ID_BITS) as i64,
            added: packed & ADDED != 0,
            switchboard: packed & SWITCHBOARD != 0,
        }
    }
}

/// Numbers (E.164 text) to their owners; the first owner of a number stays.
#[derive(Debug, Default)]
pub(crate) struct NumberOwners {
    compact: FxHashMap<u64, u64>,
    other: FxHashMap<String, u64>,
}

impl NumberOwners {
    /// The owner of `e164`, if the number is known.
    pub fn get(&self, e164: &str) -> Option<Owner> {
        match compact_key(e164) {
            Some(key) => self.compact.get(&key),
            None => self.other.get(e164),
        }
        .copied()
        .map(Owner::unpack)
    }

    /// Records `owner` for `e164` unless the number has one already.
    pub fn insert_if_absent(&mut self, e164: &str, owner: Owner) {
        match compact_key(e164) {
            Some(key) => {
                self.compact.entry(key).or_insert(owner.pack());
            }
            None => {
                if !self.other.contains_key(e164) {
                    self.other.insert(e164.to_string(), owner.pack());
                }
            }
        }
    }
}

/// `+` and 1 to 18 digits as one number: a leading 1 keeps leading zeros apart ("+01" vs "+1").
fn compact_key(e164: &str) -> Option<u64> {
    let digits = e164.strip_prefix('+')?.as_bytes();
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    digits.iter().try_fold(1u64, |key, &byte| {
        byte.is_ascii_digit()
            .then(|| key * 10 + u64::from(byte - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_first_owner_and_flags() {
        let mut owners = NumberOwners::default();
        let first = Owner {
            id: 7,
            added: true,
            switchboard: true,
        };
        owners.insert_if_absent("+492111234567", first);
        owners.insert_if_absent(
            "+492111234567",
            Owner {
                id: 8,
                added: false,
                switchboard: false,
            },
        );
        assert_eq!(owners.get("+492111234567"), Some(first));
        assert_eq!(
            owners.get("+49211123456"),
            None,
            "a prefix is another number"
        );
    }

    #[test]
    fn leading_zeros_and_foreign_text_stay_apart() {
        let mut owners = NumberOwners::default();
        let owner = |id| Owner {
            id,
            added: false,
            switchboard: false,
        };
        owners.insert_if_absent("+1", owner(1));
        owners.insert_if_absent("+01", owner(2));
        owners.insert_if_absent("anonymous", owner(3));
        owners.insert_if_absent("+1234567890123456789", owner(4));
        assert_eq!(owners.get("+1").map(|o| o.id), Some(1));
        assert_eq!(owners.get("+01").map(|o| o.id), Some(2));
        assert_eq!(owners.get("anonymous").map(|o| o.id), Some(3));
        assert_eq!(
            owners.get("+1234567890123456789").map(|o| o.id),
            Some(4),
            "19 digits do not fit the compact key and still work"
        );
    }
}
