//! Personal data and secrets: names, IBANs, account numbers, emails, addresses, metadata values,
//! free-text reasons, reward credentials, API private keys. Wrapped in [`Secret`], a value
//! shows as `Secret(***)` in `Debug` and `Display`, so a log line or an error message cannot
//! carry it by accident: the only way to the value is [`Secret::expose`], one greppable call.
//! Storage and response bodies serialise the value itself (they must: payments need the IBAN).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub const fn new(value: T) -> Self {
        Secret(value)
    }

    /// The value itself. Every use is a place where personal data leaves its wrapper: into a
    /// response body, a payment request, a comparison. Never into a log.
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_exposed(self) -> T {
        self.0
    }

    pub fn map<U>(self, change: impl FnOnce(T) -> U) -> Secret<U> {
        Secret(change(self.0))
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T: Serialize> Serialize for Secret<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    #[allow(dead_code)]
    struct Holder {
        id: u32,
        name: Secret<String>,
    }

    #[test]
    fn debug_and_display_never_show_the_value() {
        let holder = Holder {
            id: 7,
            name: Secret::new("JOHN SMITH".to_owned()),
        };
        let shown = format!("{holder:?} {}", holder.name);
        assert!(!shown.contains("JOHN"), "{shown}");
        assert!(shown.contains("id: 7"), "{shown}");
        assert_eq!(holder.name.expose(), "JOHN SMITH");
    }

    #[test]
    fn serialisation_is_the_value_itself() {
        let secret = Secret::new("GB29NWBK60161331926819".to_owned());
        let json = serde_json::to_string(&secret).unwrap_or_default();
        assert_eq!(json, "\"GB29NWBK60161331926819\"");
        let back: Secret<String> = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, secret);
    }
}
