//! [`Value`] as MessagePack, as notepack.io (the library of `socket.io-msgpack-parser` and
//! `@socket.io/redis-adapter`) writes and reads it: buffers are `bin`, integers take the
//! smallest encoding, other numbers are float64.
//!
//! Reading is for untrusted bytes: nesting is bounded as serde_json bounds JSON, and a
//! declared length never reserves more than the bytes left can hold.
use bytes::Bytes;
use indexmap::IndexMap;
use rmp::Marker;

use crate::value::Value;

/// Nesting accepted when reading, as serde_json's recursion limit for JSON packets.
const MAX_DEPTH: usize = 128;

/// Why bytes are not one MessagePack value sio can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MsgpackError {
    /// The bytes end inside a value.
    #[error("truncated MessagePack")]
    Truncated,
    /// A marker MessagePack reserves (0xc1).
    #[error("reserved MessagePack marker")]
    Reserved,
    /// A string that is not UTF-8.
    #[error("MessagePack string is not UTF-8")]
    Utf8,
    /// Nested deeper than the reader accepts.
    #[error("MessagePack nested too deeply")]
    TooDeep,
    /// Bytes left after the value.
    #[error("trailing bytes after the MessagePack value")]
    Trailing,
}

/// Appends `v` as MessagePack.
pub fn write(v: &Value, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail; rmp's errors are the writer's.
    match v {
        Value::Null => rmp::encode::write_nil(out).expect("Vec write"),
        Value::Bool(b) => rmp::encode::write_bool(out, *b).expect("Vec write"),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                rmp::encode::write_uint(out, u).expect("Vec write");
            } else if let Some(i) = n.as_i64() {
                rmp::encode::write_sint(out, i).expect("Vec write");
            } else {
                rmp::encode::write_f64(out, n.as_f64().unwrap_or_default()).expect("Vec write");
            }
        }
        Value::String(s) => write_str(s, out),
        Value::Binary(b) => rmp::encode::write_bin(out, b).expect("Vec write"),
        Value::Array(a) => {
            write_array_len(a.len(), out);
            for x in a {
                write(x, out);
            }
        }
        Value::Object(o) => {
            write_map_len(o.len(), out);
            for (k, x) in o {
                write_str(k, out);
                write(x, out);
            }
        }
    }
}

/// Appends a string.
pub fn write_str(s: &str, out: &mut Vec<u8>) {
    rmp::encode::write_str(out, s).expect("Vec write");
}

/// Appends an array header of `len` elements.
pub fn write_array_len(len: usize, out: &mut Vec<u8>) {
    rmp::encode::write_array_len(out, len as u32).expect("Vec write");
}

/// Appends a map header of `len` entries.
pub fn write_map_len(len: usize, out: &mut Vec<u8>) {
    rmp::encode::write_map_len(out, len as u32).expect("Vec write");
}

/// Appends an unsigned integer in its smallest encoding.
pub fn write_uint(n: u64, out: &mut Vec<u8>) {
    rmp::encode::write_uint(out, n).expect("Vec write");
}

/// `v` as MessagePack bytes.
pub fn to_vec(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    write(v, &mut out);
    out
}

/// Reads exactly one value from `bytes`. Extension types (notepack's `undefined`) read as
/// null; map keys that are not strings read as their text (JavaScript object keys).
pub fn read(bytes: &[u8]) -> Result<Value, MsgpackError> {
    let mut r = Reader { bytes, at: 0 };
    let v = r.value(0)?;
    if r.at != bytes.len() {
        return Err(MsgpackError::Trailing);
    }
    Ok(v)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], MsgpackError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or(MsgpackError::Truncated)?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn be(&mut self, n: usize) -> Result<u64, MsgpackError> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn len(&mut self, width: usize) -> Result<usize, MsgpackError> {
        usize::try_from(self.be(width)?).map_err(|_| MsgpackError::Truncated)
    }

    /// Room for `len` items of at least one byte each: no more than the bytes left.
    fn capacity(&self, len: usize) -> usize {
        len.min(self.bytes.len() - self.at)
    }

    fn value(&mut self, depth: usize) -> Result<Value, MsgpackError> {
        if depth > MAX_DEPTH {
            return Err(MsgpackError::TooDeep);
        }
        let marker = Marker::from_u8(self.take(1)?[0]);
        Ok(match marker {
            Marker::Null => Value::Null,
            Marker::True => Value::Bool(true),
            Marker::False => Value::Bool(false),
            Marker::FixPos(n) => Value::from(u64::from(n)),
            Marker::FixNeg(n) => Value::from(i64::from(n)),
            Marker::U8 => Value::from(self.be(1)?),
            Marker::U16 => Value::from(self.be(2)?),
            Marker::U32 => Value::from(self.be(4)?),
            Marker::U64 => Value::from(self.be(8)?),
            Marker::I8 => Value::from(i64::from(self.be(1)? as u8 as i8)),
            Marker::I16 => Value::from(i64::from(self.be(2)? as u16 as i16)),
            Marker::I32 => Value::from(i64::from(self.be(4)? as u32 as i32)),
            Marker::I64 => Value::from(self.be(8)? as i64),
            Marker::F32 => float(f64::from(f32::from_bits(self.be(4)? as u32))),
            Marker::F64 => float(f64::from_bits(self.be(8)?)),
            Marker::FixStr(n) => self.str(usize::from(n))?,
            Marker::Str8 => self.len(1).and_then(|n| self.str(n))?,
            Marker::Str16 => self.len(2).and_then(|n| self.str(n))?,
            Marker::Str32 => self.len(4).and_then(|n| self.str(n))?,
            Marker::Bin8 => self.len(1).and_then(|n| self.bin(n))?,
            Marker::Bin16 => self.len(2).and_then(|n| self.bin(n))?,
            Marker::Bin32 => self.len(4).and_then(|n| self.bin(n))?,
            Marker::FixArray(n) => self.array(usize::from(n), depth)?,
            Marker::Array16 => self.len(2).and_then(|n| self.array(n, depth))?,
            Marker::Array32 => self.len(4).and_then(|n| self.array(n, depth))?,
            Marker::FixMap(n) => self.map(usize::from(n), depth)?,
            Marker::Map16 => self.len(2).and_then(|n| self.map(n, depth))?,
            Marker::Map32 => self.len(4).and_then(|n| self.map(n, depth))?,
            Marker::FixExt1 => self.ext(1)?,
            Marker::FixExt2 => self.ext(2)?,
            Marker::FixExt4 => self.ext(4)?,
            Marker::FixExt8 => self.ext(8)?,
            Marker::FixExt16 => self.ext(16)?,
            Marker::Ext8 => self.len(1).and_then(|n| self.ext(n))?,
            Marker::Ext16 => self.len(2).and_then(|n| self.ext(n))?,
            Marker::Ext32 => self.len(4).and_then(|n| self.ext(n))?,
            Marker::Reserved => return Err(MsgpackError::Reserved),
        })
    }

    fn str(&mut self, n: usize) -> Result<Value, MsgpackError> {
        let s = std::str::from_utf8(self.take(n)?).map_err(|_| MsgpackError::Utf8)?;
        Ok(Value::String(s.to_owned()))
    }

    fn bin(&mut self, n: usize) -> Result<Value, MsgpackError> {
        Ok(Value::Binary(Bytes::copy_from_slice(self.take(n)?)))
    }

    /// An extension (type byte, then `n` bytes): no sio meaning, read as null.
    fn ext(&mut self, n: usize) -> Result<Value, MsgpackError> {
        self.take(1)?;
        self.take(n)?;
        Ok(Value::Null)
    }

    fn array(&mut self, n: usize, depth: usize) -> Result<Value, MsgpackError> {
        let mut a = Vec::with_capacity(self.capacity(n));
        for _ in 0..n {
            a.push(self.value(depth + 1)?);
        }
        Ok(Value::Array(a))
    }

    fn map(&mut self, n: usize, depth: usize) -> Result<Value, MsgpackError> {
        let mut o = IndexMap::with_capacity(self.capacity(n) / 2);
        for _ in 0..n {
            let key = match self.value(depth + 1)? {
                Value::String(s) => s,
                other => js_key(&other),
            };
            let v = self.value(depth + 1)?;
            o.insert(key, v);
        }
        Ok(Value::Object(o))
    }
}

/// A key that is not a string, as JavaScript turns it into an object key (`String(key)`):
/// a map is "[object Object]", an array its items joined with commas. So a key costs no
/// more than its own bytes: writing nested keys as JSON doubled their escapes at every
/// level (a map keyed by a map keyed by a map..., 27 levels in 140 bytes, took 540 MB).
fn js_key(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_owned(),
        Value::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Object(_) => "[object Object]".to_owned(),
        // `[1, null, [2, 3]].join()` is "1,,2,3".
        Value::Array(items) => items
            .iter()
            .map(|item| if matches!(item, Value::Null) { String::new() } else { js_key(item) })
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// A float as JSON can hold it: NaN and infinities become null, as `JSON.stringify` does.
fn float(f: f64) -> Value {
    serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_are_not_strings_read_as_javascript_names_them() {
        // {[1, null, [2, 3]]: 1, {a: 1}: 2, true: 3}
        let mut bytes = vec![0x83, 0x93, 0x01, 0xc0, 0x92, 0x02, 0x03, 0x01, 0x81, 0xa1, b'a', 0x01, 0x02, 0xc3, 0x03];
        let v = read(&bytes).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["1,,2,3", "[object Object]", "true"]);
        // A map keyed by a map keyed by a map ... 100 deep: linear, not exponential.
        bytes = vec![0x81; 100];
        bytes.extend([0xa1, b'k']);
        bytes.extend([0xc0; 100]);
        let v = read(&bytes).unwrap();
        assert_eq!(v.as_object().unwrap().keys().next().map(String::as_str), Some("[object Object]"));
    }

    #[test]
    fn round_trips_every_kind() {
        let v = Value::from([
            ("n", Value::from(-3i64)),
            ("min", Value::from(i64::MIN)),
            ("u", Value::from(u64::MAX)),
            ("f", Value::from(1.5)),
            ("bin", Value::Binary(Bytes::from_static(&[0, 1, 255]))),
            ("list", Value::Array(vec![Value::Null, Value::Bool(true), Value::Bool(false), "s".into()])),
            ("long", Value::String("x".repeat(70_000))),
        ]);
        assert_eq!(read(&to_vec(&v)), Ok(v));
    }

    #[test]
    fn reads_what_notepack_writes() {
        // notepack.io: {a: 1, b: [true, null], c: Buffer<01 02>, d: -1.5, e: undefined-in-array}
        let bytes = [
            0x85, 0xa1, b'a', 0x01, 0xa1, b'b', 0x92, 0xc3, 0xc0, 0xa1, b'c', 0xc4, 0x02, 0x01, 0x02, 0xa1, b'd', 0xcb,
            0xbf, 0xf8, 0, 0, 0, 0, 0, 0, 0xa1, b'e', 0x91, 0xd4, 0x00, 0x00,
        ];
        let v = read(&bytes).unwrap();
        assert_eq!(v.get("a").and_then(Value::as_i64), Some(1));
        assert_eq!(v.get("b"), Some(&Value::Array(vec![Value::Bool(true), Value::Null])));
        assert_eq!(v.get("c"), Some(&Value::Binary(Bytes::from_static(&[1, 2]))));
        assert_eq!(v.get("d").and_then(Value::as_f64), Some(-1.5));
        assert_eq!(v.get("e"), Some(&Value::Array(vec![Value::Null])));
        // the smallest integer encodings
        assert_eq!(to_vec(&Value::from(1i64)), [0x01]);
        assert_eq!(to_vec(&Value::from(-1i64)), [0xff]);
        assert_eq!(to_vec(&Value::from(300i64)), [0xcd, 0x01, 0x2c]);
    }

    #[test]
    fn refuses_hostile_bytes_without_allocating_their_claims() {
        assert_eq!(read(&[0xdd, 0xff, 0xff, 0xff, 0xff]), Err(MsgpackError::Truncated), "array32 of 4 G elements");
        assert_eq!(read(&[0xdf, 0xff, 0xff, 0xff, 0xff]), Err(MsgpackError::Truncated));
        assert_eq!(read(&[0xc6, 0xff, 0xff, 0xff, 0xff, 0]), Err(MsgpackError::Truncated));
        assert_eq!(read(&[0xc1]), Err(MsgpackError::Reserved));
        assert_eq!(read(&[0xa1, 0xff]), Err(MsgpackError::Utf8));
        assert_eq!(read(&[0x01, 0x02]), Err(MsgpackError::Trailing));
        assert_eq!(read(&[]), Err(MsgpackError::Truncated));
        assert_eq!(read(&[0x91; 200]), Err(MsgpackError::TooDeep));
        // non-string keys become JavaScript's property names
        assert_eq!(read(&[0x81, 0x01, 0xc3]), Ok(Value::from([("1", Value::Bool(true))])));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = read(&b);
        }
    }
}
