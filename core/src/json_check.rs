//! Checks JSON text exactly as parsing it into a [`Value`](crate::Value) would (same
//! strings, numbers and nesting limit) without building anything: text that passes parses.
//! serde's `IgnoredAny` is laxer (it skips over escapes and numbers unread), so text it
//! let through could still fail to parse later.
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value that was read and thrown away.
pub(crate) struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Checked, D::Error> {
        d.deserialize_any(CheckVisitor)
    }
}

struct CheckVisitor;

impl<'de> Visitor<'de> for CheckVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_none<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Checked, D::Error> {
        Checked::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

/// Checks that `text` is one JSON value (surrounding whitespace allowed).
pub(crate) fn check(text: &str) -> Result<(), serde_json::Error> {
    serde_json::from_str::<Checked>(text).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::Value;

    #[test]
    fn accepts_exactly_what_parses_into_a_value() {
        let cases = [
            r#"[1,"a",{"b":[true,null,-2.5e3]}]"#,
            r#" {"k":"\u00e9\n"} "#,
            r#"["\ud800"]"#,
            r#"["\ud83d\ude00"]"#,
            "[1e400]",
            "[18446744073709551616]",
            r#"["\x"]"#,
            "[1,]",
            "[01]",
            "{\"a\" 1}",
            "\"tab\tin a string\"",
            "[] x",
            "",
        ];
        for text in cases {
            assert_eq!(check(text).is_ok(), serde_json::from_str::<Value>(text).is_ok(), "{text}");
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(check(&deep).is_ok(), serde_json::from_str::<Value>(&deep).is_ok());
    }
}
