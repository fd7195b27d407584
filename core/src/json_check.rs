//! Checks JSON text exactly as parsing it into a [`Value`](crate::Value) would (same
//! strings, numbers and nesting limit) without building anything: text that passes parses.
//! serde's `IgnoredAny` is laxer (it skips over escapes and numbers unread), so text it
//! let through could still fail to parse later.
//!
//! Most text (an event's arguments, a host's answer) is plain: strings without `\u`
//! escapes, numbers without exponents, little nesting. A byte scanner accepts that subset;
//! anything else it does not decide, and serde (with [`Checked`], which visits every value
//! as a value tree would) reads the text again and gives the verdict and the error. So
//! the scanner only ever accepts text serde accepts.
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
    if plain(text.as_bytes()) {
        return Ok(());
    }
    serde_json::from_str::<Checked>(text).map(|_| ())
}

/// Nesting the scanner follows; deeper text goes to serde (whose limit is 128).
const MAX_DEPTH: u32 = 64;
/// Digits before the point that cannot make a number overflow (f64 reaches 1.8e308).
const MAX_INT_DIGITS: usize = 300;

/// True if `b` is one JSON value in the plain subset (see the module's note); false if it
/// is not, or is not plain.
fn plain(b: &[u8]) -> bool {
    // One bit per open container: 1 for an object, 0 for an array.
    let mut objects: u64 = 0;
    let mut depth: u32 = 0;
    let mut i = skip_space(b, 0);
    loop {
        // A value starts at i.
        match b.get(i) {
            Some(b'[') | Some(b'{') => {
                if depth == MAX_DEPTH {
                    return false;
                }
                let object = b[i] == b'{';
                objects = (objects << 1) | object as u64;
                depth += 1;
                i = skip_space(b, i + 1);
                let close = if object { b'}' } else { b']' };
                if b.get(i) == Some(&close) {
                    objects >>= 1;
                    depth -= 1;
                    i += 1;
                } else {
                    if object {
                        let Some(next) = key(b, i) else { return false };
                        i = next;
                    }
                    continue;
                }
            }
            Some(b'"') => match string(b, i) {
                Some(next) => i = next,
                None => return false,
            },
            Some(b't') if b[i..].starts_with(b"true") => i += 4,
            Some(b'f') if b[i..].starts_with(b"false") => i += 5,
            Some(b'n') if b[i..].starts_with(b"null") => i += 4,
            Some(b'-' | b'0'..=b'9') => match number(b, i) {
                Some(next) => i = next,
                None => return false,
            },
            _ => return false,
        }
        // After a value: a separator, a close, or the end.
        loop {
            i = skip_space(b, i);
            if depth == 0 {
                return i == b.len();
            }
            let object = objects & 1 == 1;
            match b.get(i) {
                Some(b',') => {
                    i = skip_space(b, i + 1);
                    if object {
                        let Some(next) = key(b, i) else { return false };
                        i = next;
                    }
                    break;
                }
                Some(b']') if !object => {}
                Some(b'}') if object => {}
                _ => return false,
            }
            objects >>= 1;
            depth -= 1;
            i += 1;
        }
    }
}

fn skip_space(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// An object key and its colon at `i`; the index of the value after it.
fn key(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let i = skip_space(b, string(b, i)?);
    (b.get(i) == Some(&b':')).then(|| skip_space(b, i + 1))
}

/// Bytes that end a plain run inside a string: the quote, the backslash, control characters.
static STOPS: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = true;
        c += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// A string at `i` without `\u` escapes or control characters; the index after it.
fn string(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        i += b[i.min(b.len())..].iter().take_while(|&&c| !STOPS[c as usize]).count();
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => match *b.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                _ => return None,
            },
            c if c < 0x20 => return None,
            _ => i += 1,
        }
    }
}

/// A number at `i` without an exponent or an integer part long enough to overflow; the
/// index after it.
fn number(b: &[u8], mut i: usize) -> Option<usize> {
    if b[i] == b'-' {
        i += 1;
    }
    let digits = |b: &[u8], i: usize| b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let int = digits(b, i);
    if int == 0 || int > MAX_INT_DIGITS || (int > 1 && b[i] == b'0') {
        return None;
    }
    i += int;
    if b.get(i) == Some(&b'.') {
        let frac = digits(b, i + 1);
        if frac == 0 {
            return None;
        }
        i += 1 + frac;
    }
    match b.get(i) {
        Some(b'e' | b'E') => None,
        _ => Some(i),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::{check, plain};
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

    #[test]
    fn the_scanner_takes_plain_text_and_leaves_the_rest() {
        for text in [
            r#"[{"text":"the quick brown fox","n":42},[],{},-0.5,true,false,null,"é\"\\\/\n"]"#,
            " [ 1 , { \"a\" : [ ] } ] ",
            "0",
            "\"\"",
        ] {
            assert!(plain(text.as_bytes()), "{text}");
        }
        for text in [
            "",
            "[1e5]",
            r#"["\u00e9"]"#,
            "[1,]",
            "[01]",
            "[-]",
            "[1.]",
            "[.5]",
            "{\"a\"}",
            "{\"a\":1,}",
            "{1:2}",
            "[1 2]",
            "[1} ",
            "{\"a\":1]",
            "[\"\x01\"]",
            "[tru]",
            "[nul]",
            "[] []",
            "[",
            "[\"a",
        ] {
            assert!(!plain(text.as_bytes()), "{text}");
        }
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        assert!(!plain(deep.as_bytes()));
        let deep = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(plain(deep.as_bytes()));
    }

    proptest::proptest! {
        /// Whatever the text, the scanner never accepts what serde refuses.
        #[test]
        fn the_scanner_accepts_nothing_serde_refuses(text in "[\\[\\]{}\",:0-9.eE+\\- tfalsenu\\\\a\n]{0,24}") {
            if plain(text.as_bytes()) {
                proptest::prop_assert!(serde_json::from_str::<Value>(&text).is_ok(), "{}", text);
            }
        }

        /// JSON serde wrote passes, compact or pretty (by the scanner or by serde).
        #[test]
        fn written_json_passes(v in json()) {
            let text = v.to_string();
            proptest::prop_assert!(check(&text).is_ok());
            let pretty = serde_json::to_string_pretty(&v).unwrap();
            proptest::prop_assert!(check(&pretty).is_ok());
        }
    }

    /// Any JSON value (nested up to 4 levels), for property tests.
    pub(crate) fn json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        use serde_json::Value as J;
        let leaf = prop_oneof![
            Just(J::Null),
            any::<bool>().prop_map(J::from),
            any::<i64>().prop_map(J::from),
            any::<f64>().prop_map(J::from),
            "\\PC{0,6}".prop_map(J::from),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(J::Array),
                proptest::collection::btree_map("[a-z\"\\\\]{0,4}", inner, 0..4)
                    .prop_map(|m| J::Object(m.into_iter().collect())),
            ]
        })
    }
}
