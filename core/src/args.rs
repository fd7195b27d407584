//! An event's arguments as they reach a handler or a host. Those of a text packet stay the
//! JSON text they arrived as (checked, not parsed): a host that takes JSON text (C,
//! JavaScript) gets it as it is, and values are built only for a host or handler that asks.
use bytes::Bytes;

use crate::value::Value;

/// The arguments of an incoming event.
#[derive(Debug, Clone, PartialEq)]
pub struct Args(Repr);

#[derive(Debug, Clone, PartialEq)]
enum Repr {
    /// A JSON array that parses into values (checked by `json_check`), without buffers.
    Text(String),
    Values(Vec<Value>),
}

impl Args {
    /// Arguments that arrived as the JSON array `text`, already checked to parse.
    pub(crate) fn from_checked_text(text: String) -> Args {
        Args(Repr::Text(text))
    }

    /// The arguments' JSON array as it arrived, if they came as text (then no buffer is
    /// among them and no `_placeholder` object in them stands for one).
    pub fn as_text(&self) -> Option<&str> {
        match &self.0 {
            Repr::Text(t) => Some(t),
            Repr::Values(_) => None,
        }
    }

    /// The arguments as values, parsed here if they arrived as text.
    pub fn into_values(self) -> Vec<Value> {
        match self.0 {
            Repr::Values(v) => v,
            Repr::Text(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                // Unreachable: the text was checked with the parser that reads it here.
                tracing::error!(error = %e, "checked event arguments did not parse");
                Vec::new()
            }),
        }
    }

    /// The arguments as wire JSON text (each buffer a placeholder, moved to `attachments`):
    /// the text as it arrived, or the values written out.
    pub fn into_wire_text(self, attachments: &mut Vec<Bytes>) -> String {
        match self.0 {
            Repr::Text(text) => text,
            Repr::Values(values) => Value::args_to_wire_text(&values, attachments),
        }
    }

    /// Appends the arguments as wire JSON (see [`Args::into_wire_text`]) to `out`.
    pub fn write_wire(&self, out: &mut Vec<u8>, attachments: &mut Vec<Bytes>) {
        match &self.0 {
            Repr::Text(text) => out.extend_from_slice(text.as_bytes()),
            Repr::Values(values) => Value::write_wire(values, out, attachments),
        }
    }
}

impl From<Vec<Value>> for Args {
    fn from(values: Vec<Value>) -> Args {
        Args(Repr::Values(values))
    }
}
