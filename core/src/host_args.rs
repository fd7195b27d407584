//! Arguments as a host passes them across a face: wire JSON text (a JSON array in which
//! each buffer is a `{"_placeholder":true,"num":N}` object, socket.io-parser's form) and
//! the buffers. Text that needs no buffer is checked and then sent as it is: answering
//! an event from C or JavaScript does not parse the answer into values only to write the
//! same JSON again, nor copy the text on its way into the packet.
use std::borrow::Cow;

use crate::value::{Value, WireTextError};
use bytes::Bytes;

/// An argument list from a host; wire text may be borrowed from the host's buffer for as
/// long as the call that sends it.
#[derive(Debug, Clone, PartialEq)]
pub enum HostArgs<'a> {
    /// A checked JSON array without placeholders: written into the packet as it is.
    Wire(Cow<'a, str>),
    /// Values.
    Values(Vec<Value>),
}

impl<'a> HostArgs<'a> {
    /// Reads an argument list: empty text is no arguments; anything but a JSON array is
    /// refused, as is a placeholder without its buffer. Text is borrowed, not copied.
    pub fn from_wire_text(text: &'a str, attachments: &[Bytes]) -> Result<HostArgs<'a>, WireTextError> {
        Ok(match check(text, attachments)? {
            Checked::Wire(body) => HostArgs::Wire(Cow::Borrowed(&text[body])),
            Checked::Values(values) => HostArgs::Values(values),
        })
    }

    /// [`HostArgs::from_wire_text`] for text the host hands over: kept as it is (not copied)
    /// when it needs no trimming.
    pub fn from_wire_string(text: String, attachments: &[Bytes]) -> Result<HostArgs<'static>, WireTextError> {
        Ok(match check(&text, attachments)? {
            Checked::Wire(body) if body.len() == text.len() => HostArgs::Wire(Cow::Owned(text)),
            Checked::Wire(body) => HostArgs::Wire(Cow::Owned(text[body].to_owned())),
            Checked::Values(values) => HostArgs::Values(values),
        })
    }

    /// The arguments as values (wire text was checked: it parses).
    pub fn into_values(self) -> Vec<Value> {
        match self {
            HostArgs::Values(v) => v,
            HostArgs::Wire(text) => match serde_json::from_str(&text) {
                Ok(Value::Array(v)) => v,
                _ => unreachable!("wire arguments are a checked JSON array"),
            },
        }
    }
}

/// What [`check`] found: where the array is in text to send as it is, or values.
enum Checked {
    Wire(std::ops::Range<usize>),
    Values(Vec<Value>),
}

fn check(text: &str, attachments: &[Bytes]) -> Result<Checked, WireTextError> {
    if text.is_empty() {
        return Ok(Checked::Values(Vec::new()));
    }
    let space = |c: char| c.is_ascii_whitespace();
    let body = text.trim_matches(space);
    if !body.starts_with('[') {
        return Err(match crate::json_check::check(text) {
            Err(e) => WireTextError::Json(e.to_string()),
            Ok(_) => WireTextError::NotAnArray,
        });
    }
    // The placeholder rule needs values; anything else only needs to be valid JSON.
    if attachments.is_empty() && !body.contains("_placeholder") {
        crate::json_check::check(body).map_err(|e| WireTextError::Json(e.to_string()))?;
        let start = text.len() - text.trim_start_matches(space).len();
        return Ok(Checked::Wire(start..start + body.len()));
    }
    match Value::from_wire_text(body, attachments)? {
        Value::Array(values) => Ok(Checked::Values(values)),
        _ => Err(WireTextError::NotAnArray),
    }
}

impl From<Vec<Value>> for HostArgs<'_> {
    fn from(values: Vec<Value>) -> Self {
        HostArgs::Values(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_without_buffers_stays_text_and_everything_else_is_checked() {
        assert_eq!(
            HostArgs::from_wire_text(" [1, {\"a\":\"é\"}] ", &[]),
            Ok(HostArgs::Wire(Cow::Borrowed("[1, {\"a\":\"é\"}]")))
        );
        assert_eq!(HostArgs::from_wire_text("", &[]), Ok(HostArgs::Values(vec![])));
        assert_eq!(HostArgs::from_wire_text("{}", &[]), Err(WireTextError::NotAnArray));
        assert!(matches!(HostArgs::from_wire_text("[1,", &[]), Err(WireTextError::Json(_))));
        let one = r#"[{"_placeholder":true,"num":0}]"#;
        assert!(matches!(HostArgs::from_wire_text(one, &[]), Err(WireTextError::Attachment(_))));
        let buf = Bytes::from_static(b"\x01");
        assert_eq!(
            HostArgs::from_wire_text(one, std::slice::from_ref(&buf)),
            Ok(HostArgs::Values(vec![Value::Binary(buf)]))
        );
        assert_eq!(HostArgs::Wire("[1,\"x\"]".into()).into_values(), vec![Value::from(1i64), Value::from("x")]);
        // Refused as a value tree refuses it (an unchecked lone surrogate made
        // `into_values` panic later), and borrowed, not copied, when accepted.
        assert!(matches!(HostArgs::from_wire_text(r#"["\ud800"]"#, &[]), Err(WireTextError::Json(_))));
        assert!(matches!(HostArgs::from_wire_text("[1e400]", &[]), Err(WireTextError::Json(_))));
        let text = String::from("[\"é\"]");
        assert!(
            matches!(HostArgs::from_wire_text(&text, &[]), Ok(HostArgs::Wire(Cow::Borrowed(t))) if t.as_ptr() == text.as_ptr())
        );
    }

    #[test]
    fn text_handed_over_is_kept_without_a_copy_and_trimmed_like_borrowed_text() {
        let text = String::from("[1,\"x\"]");
        let at = text.as_ptr();
        match HostArgs::from_wire_string(text, &[]) {
            Ok(HostArgs::Wire(kept)) => assert_eq!(kept.as_ptr(), at, "the host's buffer is sent as it is"),
            other => panic!("{other:?}"),
        }
        assert_eq!(HostArgs::from_wire_string("\n [2] ".into(), &[]), Ok(HostArgs::Wire("[2]".into())));
        assert_eq!(HostArgs::from_wire_string("{}".into(), &[]), Err(WireTextError::NotAnArray));
        assert_eq!(HostArgs::from_wire_string(String::new(), &[]), Ok(HostArgs::Values(vec![])));
    }
}
