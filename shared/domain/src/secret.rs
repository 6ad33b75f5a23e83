//! Personal data and secrets: names, IBANs, account numbers, emails, addresses, metadata values,
//! free-text reasons, reward credentials, API private keys. Wrapped in [`Secret`], a value
//! shows as `Secret(***)` in `Debug` and `Display`, so a log line or an error message cannot
//! carry it by accident: the only way to the value is [`Secret::expose`], one greppable call.
//! Storage and response bodies serialise the value itself (they must: payments need the IBAN),
//! except inside [`marking_personal_data`], where each value is wrapped in a one-entry map keyed
//! [`PERSONAL_DATA_MARKER`], so the store can find and seal every personal field of an item
//! without knowing its type (docs/decisions/0019).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cell::Cell;
use std::fmt;

/// The key of the map a [`Secret`] serialises as inside [`marking_personal_data`].
pub const PERSONAL_DATA_MARKER: &str = "__personalData";

thread_local! {
    static MARKING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `serialise` with every [`Secret`] it meets serialised as `{PERSONAL_DATA_MARKER: value}`
/// (serialisation is synchronous, so the thread's flag covers exactly this call).
pub fn marking_personal_data<R>(serialise: impl FnOnce() -> R) -> R {
    let before = MARKING.with(|marking| marking.replace(true));
    let result = serialise();
    MARKING.with(|marking| marking.set(before));
    result
}

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
        if !MARKING.with(Cell::get) {
            return self.0.serialize(serializer);
        }
        use serde::ser::SerializeMap;
        // What a marked value holds is sealed whole: a secret inside it is not marked again.
        let before = MARKING.with(|marking| marking.replace(false));
        let marked = (move || {
            let mut map = serializer.serialize_map(Some(1))?;
            map.serialize_entry(PERSONAL_DATA_MARKER, &self.0)?;
            map.end()
        })();
        MARKING.with(|marking| marking.set(before));
        marked
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
    fn marked_serialisation_wraps_each_secret_once() {
        #[derive(Serialize)]
        struct Record {
            id: u32,
            name: Secret<String>,
            nested: Secret<Vec<Secret<String>>>,
            absent: Option<Secret<String>>,
        }
        let record = Record {
            id: 7,
            name: Secret::new("JANE".into()),
            nested: Secret::new(vec![Secret::new("A".into())]),
            absent: None,
        };
        let marked = marking_personal_data(|| serde_json::to_value(&record)).unwrap();
        assert_eq!(
            marked,
            serde_json::json!({
                "id": 7,
                "name": { PERSONAL_DATA_MARKER: "JANE" },
                "nested": { PERSONAL_DATA_MARKER: ["A"] },
                "absent": null,
            })
        );
        let plain = serde_json::to_value(&record).unwrap();
        assert_eq!(plain["name"], "JANE", "outside marking: the value itself");
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
