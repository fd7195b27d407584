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

/// A placeholder referenced an attachment that was not sent (`u64::MAX` when its `num`
/// is not an attachment index at all: negative, fractional, a string, missing).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("illegal attachments: placeholder {0} has no attachment")]
pub struct MissingAttachment(pub u64);

/// Why [`Value::from_wire_text`] refused its input.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireTextError {
    /// Not JSON.
    #[error("{0}")]
    Json(String),
    /// A placeholder without its buffer.
    #[error(transparent)]
    Attachment(MissingAttachment),
    /// An argument list that is not a JSON array.
    #[error("arguments must be a JSON array")]
    NotAnArray,
}

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

    /// The number as u64, if it is a non-negative integer that fits.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// The number as f64, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => n.as_f64(),
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
            Value::Object(o) => {
                serde_json::Value::Object(o.iter().map(|(k, v)| (k.clone(), v.to_wire(attachments))).collect())
            }
        }
    }

    /// Converts from JSON, replacing each placeholder by its attachment.
    pub fn from_wire(json: serde_json::Value, attachments: &[Bytes]) -> Result<Value, MissingAttachment> {
        let mut value = Value::from_json(json);
        value.resolve_placeholders(attachments)?;
        Ok(value)
    }

    /// Converts from JSON as it is (placeholders stay objects).
    fn from_json(json: serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n),
            serde_json::Value::String(s) => Value::String(s),
            serde_json::Value::Array(a) => Value::Array(a.into_iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => {
                Value::Object(o.into_iter().map(|(k, v)| (k, Value::from_json(v))).collect())
            }
        }
    }

    /// Serialises straight to wire JSON text, collecting attachments, without building
    /// an intermediate `serde_json::Value`.
    pub fn write_wire(values: &[Value], out: &mut Vec<u8>, attachments: &mut Vec<Bytes>) {
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

    /// Wire JSON text of `values` as an array (buffers become placeholders pushed onto
    /// `attachments`): what a face hands its host when arguments cross as JSON text.
    pub fn args_to_wire_text(values: &[Value], attachments: &mut Vec<Bytes>) -> String {
        let mut out = Vec::with_capacity(64);
        Value::write_wire(values, &mut out, attachments);
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    /// Parses wire JSON text straight into a value (no intermediate `serde_json::Value`)
    /// and puts each placeholder's attachment in its place: what a face does with the
    /// JSON text and buffers its host passes in.
    pub fn from_wire_text(text: &str, attachments: &[Bytes]) -> Result<Value, WireTextError> {
        let mut value: Value = serde_json::from_str(text).map_err(|e| WireTextError::Json(e.to_string()))?;
        value.resolve_placeholders(attachments).map_err(WireTextError::Attachment)?;
        Ok(value)
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

/// The attachment index of a placeholder object (`{"_placeholder":true,"num":N}`):
/// `Ok(None)` for an ordinary object, `Err` for a placeholder whose `num` is not an index.
/// As the reference parser, `_placeholder: true` makes the object a placeholder whatever
/// other keys it has.
fn placeholder_index(o: &IndexMap<String, Value>) -> Result<Option<u64>, MissingAttachment> {
    match (o.get("_placeholder"), o.get("num")) {
        (Some(Value::Bool(true)), Some(Value::Number(n))) => n.as_u64().map(Some).ok_or(MissingAttachment(u64::MAX)),
        (Some(Value::Bool(true)), _) => Err(MissingAttachment(u64::MAX)),
        _ => Ok(None),
    }
}

impl Value {
    /// Replaces each placeholder by its attachment, in place (a binary packet's data,
    /// parsed before its attachments arrived).
    pub(crate) fn resolve_placeholders(&mut self, attachments: &[Bytes]) -> Result<(), MissingAttachment> {
        let num = match self {
            Value::Object(o) => match placeholder_index(o)? {
                Some(num) => num,
                None => return o.values_mut().try_for_each(|v| v.resolve_placeholders(attachments)),
            },
            Value::Array(a) => return a.iter_mut().try_for_each(|v| v.resolve_placeholders(attachments)),
            _ => return Ok(()),
        };
        let bytes = attachments.get(num as usize).ok_or(MissingAttachment(num))?;
        *self = Value::Binary(bytes.clone());
        Ok(())
    }
}

/// Parses JSON text straight into a [`Value`] (no intermediate `serde_json::Value`);
/// placeholders stay objects until `Value::resolve_placeholders`.
impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> serde::de::Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        serde::Deserialize::deserialize(d)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = IndexMap::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            out.insert(k, v);
        }
        Ok(Value::Object(out))
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
    /// Plain JSON: placeholder-shaped objects stay objects (there are no attachments).
    fn from(v: serde_json::Value) -> Self {
        Value::from_json(v)
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
    fn wire_text_round_trips_and_refuses_what_it_cannot_read() {
        let args = vec![Value::from("a"), Value::Binary(Bytes::from_static(b"xy")), Value::from(1.5)];
        let mut atts = Vec::new();
        let text = Value::args_to_wire_text(&args, &mut atts);
        assert_eq!(text, r#"["a",{"_placeholder":true,"num":0},1.5]"#);
        assert_eq!(atts, vec![Bytes::from_static(b"xy")]);
        assert_eq!(Value::from_wire_text(&text, &atts), Ok(Value::Array(args)));
        assert_eq!(Value::from_wire_text(&text, &[]), Err(WireTextError::Attachment(MissingAttachment(0))));
        assert!(matches!(Value::from_wire_text("[1,", &[]), Err(WireTextError::Json(_))));
    }

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

    proptest::proptest! {
        /// Parsing straight into a Value gives what going through serde_json::Value gives.
        #[test]
        fn direct_parse_matches_serde_json(json in json_text()) {
            let direct: Value = serde_json::from_str(&json).unwrap();
            let via = Value::from(serde_json::from_str::<serde_json::Value>(&json).unwrap());
            proptest::prop_assert_eq!(direct, via);
        }
    }

    fn json_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just("null".to_owned()),
            any::<bool>().prop_map(|b| b.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| format!("{f:e}")),
            ".*".prop_map(|s| serde_json::to_string(&s).unwrap()),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(|v| format!("[{}]", v.join(","))),
                proptest::collection::vec(("[a-z_]{0,4}", inner), 0..6).prop_map(|kv| {
                    let body: Vec<String> =
                        kv.into_iter().map(|(k, v)| format!("{}:{v}", serde_json::to_string(&k).unwrap())).collect();
                    format!("{{{}}}", body.join(","))
                }),
            ]
        })
    }

    #[test]
    fn placeholders_resolve_in_place_and_keys_keep_their_order() {
        let mut v: Value =
            serde_json::from_str(r#"{"z":1,"a":[{"_placeholder":true,"num":1}],"m":{"_placeholder":true,"num":0}}"#)
                .unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["z", "a", "m"]);
        v.resolve_placeholders(&[Bytes::from_static(b"0"), Bytes::from_static(b"1")]).unwrap();
        assert_eq!(v.get("m"), Some(&Value::Binary(Bytes::from_static(b"0"))));
        assert_eq!(
            v.get("a").and_then(Value::as_array).map(|a| a[0].clone()),
            Some(Value::Binary(Bytes::from_static(b"1")))
        );
        let mut missing: Value = serde_json::from_str(r#"[{"_placeholder":true,"num":2}]"#).unwrap();
        assert_eq!(missing.resolve_placeholders(&[]), Err(MissingAttachment(2)));
    }

    #[test]
    fn missing_attachment_is_an_error() {
        let json = serde_json::json!([{"_placeholder": true, "num": 3}]);
        assert_eq!(Value::from_wire(json, &[]), Err(MissingAttachment(3)));
    }
}
