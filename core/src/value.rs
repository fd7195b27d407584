//! The argument model: JSON values that may hold binary buffers anywhere.
//!
//! On the wire, a binary buffer is replaced by `{"_placeholder":true,"num":N}` and sent
//! as attachment N; [`Value::to_wire`] and [`Value::from_wire`] do that exchange.
use bytes::Bytes;
use indexmap::IndexMap;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::Serialize;

/// A JSON value that may contain binary buffers.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// `null`
    #[default]
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A JSON number.
    Number(serde_json::Number),
    /// A UTF-8 string.
    String(String),
    /// A binary buffer (an attachment on the wire).
    Binary(Bytes),
    /// An array.
    Array(Vec<Value>),
    /// An object (keys keep their order, as in JavaScript).
    Object(IndexMap<String, Value>),
}

/// A placeholder referenced an attachment that was not sent.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("placeholder {0} has no attachment")]
pub struct MissingAttachment(pub u64);

impl Value {
    /// True if a binary buffer occurs anywhere inside.
    pub fn has_binary(&self) -> bool {
        match self {
            Value::Binary(_) => true,
            Value::Array(a) => a.iter().any(Value::has_binary),
            Value::Object(o) => o.values().any(Value::has_binary),
            _ => false,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The buffer, if this is one.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self {
            Value::Binary(b) => Some(b),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The entries, if this is an object.
    pub fn as_object(&self) -> Option<&IndexMap<String, Value>> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|o| o.get(key))
    }

    /// The number as i64, if it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Converts to JSON, turning each buffer into a placeholder pushed onto `attachments`.
    pub fn to_wire(&self, attachments: &mut Vec<Bytes>) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::Value::Number(n.clone()),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Binary(b) => {
                attachments.push(b.clone());
                placeholder(attachments.len() - 1)
            }
            Value::Array(a) => serde_json::Value::Array(a.iter().map(|v| v.to_wire(attachments)).collect()),
            Value::Object(o) => serde_json::Value::Object(
                o.iter().map(|(k, v)| (k.clone(), v.to_wire(attachments))).collect(),
            ),
        }
    }

    /// Converts from JSON, replacing each placeholder by its attachment.
    pub fn from_wire(json: serde_json::Value, attachments: &[Bytes]) -> Result<Value, MissingAttachment> {
        Ok(match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n),
            serde_json::Value::String(s) => Value::String(s),
            serde_json::Value::Array(a) => Value::Array(
                a.into_iter().map(|v| Value::from_wire(v, attachments)).collect::<Result<_, _>>()?,
            ),
            serde_json::Value::Object(o) => {
                if let Some(num) = placeholder_num(&o) {
                    let bytes = attachments.get(num as usize).ok_or(MissingAttachment(num))?;
                    return Ok(Value::Binary(bytes.clone()));
                }
                Value::Object(
                    o.into_iter()
                        .map(|(k, v)| Ok((k, Value::from_wire(v, attachments)?)))
                        .collect::<Result<_, _>>()?,
                )
            }
        })
    }

    /// Serialises straight to wire JSON text, collecting attachments, without building
    /// an intermediate `serde_json::Value`.
    pub(crate) fn write_wire(values: &[Value], out: &mut Vec<u8>, attachments: &mut Vec<Bytes>) {
        let cell = std::cell::RefCell::new(std::mem::take(attachments));
        let seq = WireSeq { items: values, attachments: &cell };
        serde_json::to_writer(&mut *out, &seq).expect("serialising a Value into a Vec cannot fail");
        *attachments = cell.into_inner();
    }

    /// Like [`Value::write_wire`] for one value.
    pub(crate) fn write_wire_one(value: &Value, out: &mut Vec<u8>, attachments: &mut Vec<Bytes>) {
        let cell = std::cell::RefCell::new(std::mem::take(attachments));
        serde_json::to_writer(&mut *out, &Wire { value, attachments: &cell })
            .expect("serialising a Value into a Vec cannot fail");
        *attachments = cell.into_inner();
    }

    /// Plain JSON, with each buffer written as an array of byte values (for logs and tests).
    pub fn to_json_lossy(&self) -> serde_json::Value {
        match self {
            Value::Binary(b) => serde_json::Value::Array(b.iter().map(|x| (*x).into()).collect()),
            Value::Array(a) => serde_json::Value::Array(a.iter().map(Value::to_json_lossy).collect()),
            Value::Object(o) => {
                serde_json::Value::Object(o.iter().map(|(k, v)| (k.clone(), v.to_json_lossy())).collect())
            }
            other => other.to_wire(&mut Vec::new()),
        }
    }
}

fn placeholder(num: usize) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert("_placeholder".into(), true.into());
    m.insert("num".into(), num.into());
    serde_json::Value::Object(m)
}

fn placeholder_num(o: &serde_json::Map<String, serde_json::Value>) -> Option<u64> {
    if o.len() == 2 && o.get("_placeholder") == Some(&serde_json::Value::Bool(true)) {
        o.get("num").and_then(serde_json::Value::as_u64)
    } else {
        None
    }
}

struct WireSeq<'a> {
    items: &'a [Value],
    attachments: &'a std::cell::RefCell<Vec<Bytes>>,
}

struct Wire<'a> {
    value: &'a Value,
    attachments: &'a std::cell::RefCell<Vec<Bytes>>,
}

impl Serialize for WireSeq<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.items.len()))?;
        for v in self.items {
            seq.serialize_element(&Wire { value: v, attachments: self.attachments })?;
        }
        seq.end()
    }
}

impl Serialize for Wire<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => n.serialize(s),
            Value::String(v) => s.serialize_str(v),
            Value::Binary(b) => {
                let num = {
                    let mut atts = self.attachments.borrow_mut();
                    atts.push(b.clone());
                    atts.len() - 1
                };
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("_placeholder", &true)?;
                m.serialize_entry("num", &num)?;
                m.end()
            }
            Value::Array(a) => WireSeq { items: a, attachments: self.attachments }.serialize(s),
            Value::Object(o) => {
                let mut m = s.serialize_map(Some(o.len()))?;
                for (k, v) in o {
                    m.serialize_entry(k, &Wire { value: v, attachments: self.attachments })?;
                }
                m.end()
            }
        }
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        Value::from_wire(v, &[]).unwrap_or(Value::Null)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Number(v.into())
    }
}

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::Number(v.into())
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Number(v.into())
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        serde_json::Number::from_f64(v).map(Value::Number).unwrap_or(Value::Null)
    }
}

impl From<Bytes> for Value {
    fn from(v: Bytes) -> Self {
        Value::Binary(v)
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Binary(v.into())
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::Array(v)
    }
}

impl<const N: usize> From<[(&str, Value); N]> for Value {
    fn from(entries: [(&str, Value); N]) -> Self {
        Value::Object(entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_round_trips_through_placeholders() {
        let v = Value::Array(vec![
            "a".into(),
            Value::Binary(Bytes::from_static(b"\x01\x02")),
            Value::from([("nested", Value::Binary(Bytes::from_static(b"x")))]),
        ]);
        let mut atts = Vec::new();
        let json = v.to_wire(&mut atts);
        assert_eq!(atts.len(), 2);
        assert_eq!(json[1], serde_json::json!({"_placeholder": true, "num": 0}));
        assert_eq!(Value::from_wire(json, &atts).unwrap(), v);
    }

    #[test]
    fn write_wire_matches_to_wire() {
        let args = vec![Value::from(1i64), Value::Binary(Bytes::from_static(b"z")), Value::Null];
        let mut out = Vec::new();
        let mut atts = Vec::new();
        Value::write_wire(&args, &mut out, &mut atts);
        let mut atts2 = Vec::new();
        let expected = Value::Array(args).to_wire(&mut atts2);
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&out).unwrap(), expected);
        assert_eq!(atts, atts2);
    }

    #[test]
    fn missing_attachment_is_an_error() {
        let json = serde_json::json!([{"_placeholder": true, "num": 3}]);
        assert_eq!(Value::from_wire(json, &[]), Err(MissingAttachment(3)));
    }
}
