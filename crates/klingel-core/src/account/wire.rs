//! sipgate's REST API shapes, read leniently: unknown fields are ignored, missing ones take
//! their defaults, and flags sipgate has been seen to send as strings (`"true"`) still read.

use serde::{Deserialize, Deserializer, Serialize};

/// `GET /authorization/userinfo`: who the token belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UserInfo {
    /// The web user id (`w0`), as pushes carry it in `userId[]`.
    pub sub: String,
    /// `sipgate.de` and the like.
    pub domain: String,
    /// The account's SIP id; with `sub` it makes the push's `fullUserId[]`.
    pub master_sip_id: String,
    /// The user's locale (`de_DE`).
    pub locale: String,
}

/// `GET /account`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AccountInfo {
    /// The company the account is registered to.
    pub company: String,
    /// `TEAM`, `BASIC`, …
    pub main_product_type: String,
    /// `NONE`, `THIRTY_DAYS` or `UNLIMITED`: with `NONE` there is no history to repair from.
    pub history_life_time: String,
}

/// A list answer: `{"items": [...]}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Items<T> {
    /// The entries.
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
}

/// One user of the account (`GET /users`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct User {
    /// `w0`, `w1`, …
    pub id: String,
    /// Given name.
    pub firstname: String,
    /// Family name.
    pub lastname: String,
    /// E-mail address.
    pub email: String,
    /// The device click-to-call rings first (`e0`).
    pub default_device: String,
    /// An administrator of the account.
    #[serde(deserialize_with = "lenient_bool")]
    pub admin: bool,
}

impl User {
    /// "Max Muster", or the id when the account names nobody.
    pub fn full_name(&self) -> String {
        let name = format!("{} {}", self.firstname.trim(), self.lastname.trim());
        let name = name.trim();
        if name.is_empty() {
            self.id.clone()
        } else {
            name.to_string()
        }
    }
}

/// One device of a user (`GET /{userId}/devices`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Device {
    /// `e0` (VoIP phone), `x0` (external), `y0` (mobile).
    pub id: String,
    /// Its name ("Desk phone").
    pub alias: String,
    /// `REGISTER`, `MOBILE` or `EXTERNAL`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Registered right now.
    #[serde(deserialize_with = "lenient_bool")]
    pub online: bool,
}

/// A group (`GET /groups`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Group {
    /// `g0`, …
    pub id: String,
    /// Its name ("Support").
    pub alias: String,
}

/// One of the account's numbers (`GET /numbers`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AccountNumber {
    /// sipgate's id of the number.
    pub id: String,
    /// The number, with or without `+`.
    pub number: String,
    /// The number as sipgate writes it at home ("0211 123456").
    pub localized: String,
    /// `LANDLINE`, `MOBILE`, `QUICKDIAL`, `INTERNATIONAL`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Where calls to it go (`p0`, `g0`); empty when nowhere.
    pub endpoint_id: String,
    /// That endpoint's name ("Support").
    pub endpoint_alias: String,
}

/// A boolean that may come as `true` or as `"true"`; anything else is false.
fn lenient_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Bool(value) => value,
        serde_json::Value::String(text) => text.trim().eq_ignore_ascii_case("true"),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_read_with_unknown_fields_string_flags_and_gaps() {
        let users: Items<User> = serde_json::from_str(
            r#"{"items":[{"id":"w0","firstname":"Ada","lastname":"Lovelace","admin":"true","busyOnBusy":"false","extra":{"x":1}},
                         {"id":"w1","admin":null}]}"#,
        )
        .expect("lenient");
        assert_eq!(users.items[0].full_name(), "Ada Lovelace");
        assert!(users.items[0].admin, "\"true\" is true");
        assert_eq!(users.items[1].full_name(), "w1", "no name: the id");
        assert!(!users.items[1].admin);
    }
}
