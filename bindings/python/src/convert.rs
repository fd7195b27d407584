//! Python objects ↔ `sio_core::Value`: dict/list/tuple/str/int/float/bool/None/bytes.
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;
use sio_core::Value;

use crate::error::BadArgument;

/// Nesting deeper than this is refused (it also stops self-referencing containers).
const MAX_DEPTH: usize = 128;

/// Converts one Python object.
pub fn to_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    convert(obj, 0)
}

/// Converts each item of an iterable (the `*args` of an emit).
pub fn to_values(obj: &Bound<'_, PyAny>) -> PyResult<Vec<Value>> {
    // The usual cases (a tuple of `*args`, a list) without the iterator protocol.
    if let Ok(t) = obj.cast::<PyTuple>() {
        return t.iter().map(|item| convert(&item, 0)).collect();
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return l.iter().map(|item| convert(&item, 0)).collect();
    }
    let mut out = Vec::new();
    for item in obj.try_iter()? {
        out.push(convert(&item?, 0)?);
    }
    Ok(out)
}

fn convert(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(BadArgument::new_err("value nested too deeply (or containing itself)"));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(BadArgument::new_err("integer does not fit in 64 bits"));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let v = f.value();
        return serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| BadArgument::new_err(format!("{v} cannot be sent (JSON has no NaN or infinity)")));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(Value::String(obj.extract::<String>()?));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Value::Binary(bytes::Bytes::copy_from_slice(b.as_bytes())));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Value::Binary(bytes::Bytes::from(b.to_vec())));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = indexmap::IndexMap::with_capacity(d.len());
        for (k, v) in d.iter() {
            if !k.is_instance_of::<PyString>() {
                return Err(BadArgument::new_err(format!("dict keys must be str, not {}", type_name(&k))));
            }
            map.insert(k.extract::<String>()?, convert(&v, depth + 1)?);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for item in obj.try_iter()? {
            out.push(convert(&item?, depth + 1)?);
        }
        return Ok(Value::Array(out));
    }
    Err(BadArgument::new_err(format!(
        "cannot send a value of type '{}' (supported: dict, list, tuple, str, int, float, bool, None, bytes, bytearray)",
        type_name(obj)
    )))
}

/// Writes the items of `args` (a tuple, a list or another iterable) as the wire JSON
/// text of an argument list, `[a,b]`, as `to_values` and the core's encoder would write
/// them, without building values first. `None` when an item holds bytes: buffers need
/// the placeholder and attachment path of `to_values`. Refuses what `to_values` refuses,
/// with the same messages.
pub fn to_wire_args(args: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    let mut out = Vec::with_capacity(128);
    out.push(b'[');
    let mut first = true;
    let mut item = |obj: &Bound<'_, PyAny>, out: &mut Vec<u8>| -> PyResult<bool> {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        write_json(obj, 0, out)
    };
    if let Ok(t) = args.cast::<PyTuple>() {
        for obj in t.iter() {
            if !item(&obj, &mut out)? {
                return Ok(None);
            }
        }
    } else if let Ok(l) = args.cast::<PyList>() {
        for obj in l.iter() {
            if !item(&obj, &mut out)? {
                return Ok(None);
            }
        }
    } else {
        for obj in args.try_iter()? {
            if !item(&obj?, &mut out)? {
                return Ok(None);
            }
        }
    }
    out.push(b']');
    Ok(Some(wire_text(out)))
}

/// `to_wire_args` of the one-item list `[obj]`.
pub fn to_wire_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    let mut out = Vec::with_capacity(128);
    out.push(b'[');
    if !write_json(obj, 0, &mut out)? {
        return Ok(None);
    }
    out.push(b']');
    Ok(Some(wire_text(out)))
}

fn write_str(s: &Bound<'_, PyString>, out: &mut Vec<u8>) -> PyResult<()> {
    // UTF-8 bytes (a UnicodeEncodeError for lone surrogates, as `extract::<String>`).
    let utf8 = s.encode_utf8()?;
    // SAFETY: `PyUnicode_AsUTF8String` produces valid UTF-8 (it fails on lone surrogates
    // rather than writing them): no second validation pass per string.
    let text = unsafe { std::str::from_utf8_unchecked(utf8.as_bytes()) };
    serde_json::to_writer(&mut *out, text).expect("writing JSON into a Vec cannot fail");
    Ok(())
}

/// The text `to_wire_args`/`to_wire_arg` wrote.
fn wire_text(out: Vec<u8>) -> String {
    // SAFETY: only ASCII punctuation and literals, serde_json's output (UTF-8) and valid
    // UTF-8 strings (`write_str`) are written into `out`.
    unsafe { String::from_utf8_unchecked(out) }
}

/// One value as `convert` would convert it and serde_json (the core's encoder) write it;
/// `false` (stop) at bytes.
fn write_json(obj: &Bound<'_, PyAny>, depth: usize, out: &mut Vec<u8>) -> PyResult<bool> {
    if depth > MAX_DEPTH {
        return Err(BadArgument::new_err("value nested too deeply (or containing itself)"));
    }
    if obj.is_none() {
        out.extend_from_slice(b"null");
        return Ok(true);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        out.extend_from_slice(if b.is_true() { b"true" } else { b"false" });
        return Ok(true);
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            number(out, i);
            return Ok(true);
        }
        if let Ok(u) = obj.extract::<u64>() {
            number(out, u);
            return Ok(true);
        }
        return Err(BadArgument::new_err("integer does not fit in 64 bits"));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let v = f.value();
        if !v.is_finite() {
            return Err(BadArgument::new_err(format!("{v} cannot be sent (JSON has no NaN or infinity)")));
        }
        serde_json::to_writer(&mut *out, &v).expect("writing JSON into a Vec cannot fail");
        return Ok(true);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        write_str(s, out)?;
        return Ok(true);
    }
    if obj.is_instance_of::<PyBytes>() || obj.is_instance_of::<PyByteArray>() {
        return Ok(false);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        out.push(b'{');
        for (i, (k, v)) in d.iter().enumerate() {
            let Ok(k) = k.cast::<PyString>() else {
                return Err(BadArgument::new_err(format!("dict keys must be str, not {}", type_name(&k))));
            };
            if i > 0 {
                out.push(b',');
            }
            write_str(k, out)?;
            out.push(b':');
            if !write_json(&v, depth + 1, out)? {
                return Ok(false);
            }
        }
        out.push(b'}');
        return Ok(true);
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        out.push(b'[');
        for (i, item) in obj.try_iter()?.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if !write_json(&item?, depth + 1, out)? {
                return Ok(false);
            }
        }
        out.push(b']');
        return Ok(true);
    }
    // The same refusal as `convert`'s.
    convert(obj, depth).map(|_| true)
}

/// A number as serde_json (the core's encoder) writes it.
fn number<T: Copy>(out: &mut Vec<u8>, n: T)
where
    serde_json::Number: From<T>,
{
    serde_json::to_writer(out, &serde_json::Number::from(n)).expect("writing JSON into a Vec cannot fail");
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

/// Converts a value to a new Python object.
pub fn to_py(py: Python<'_>, v: &Value) -> PyResult<Py<PyAny>> {
    Ok(match v {
        Value::Null => py.None(),
        Value::Bool(b) => b.into_py_any(py)?,
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_py_any(py)?
            } else if let Some(u) = n.as_u64() {
                u.into_py_any(py)?
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_py_any(py)?
            }
        }
        Value::String(s) => s.into_py_any(py)?,
        Value::Binary(b) => PyBytes::new(py, b).into_any().unbind(),
        Value::Array(a) => list(py, a)?,
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, v) in o {
                d.set_item(k, to_py(py, v)?)?;
            }
            d.into_any().unbind()
        }
    })
}

/// A value converted by `to_py` as the tuple or list holding it is filled (no vector of
/// converted items first).
struct Converted<'a>(&'a Value);

impl<'py> IntoPyObject<'py> for Converted<'_> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.0).map(|o| o.into_bound(py))
    }
}

/// Converts a list of values to a Python tuple (a message's arguments).
pub fn tuple(py: Python<'_>, values: &[Value]) -> PyResult<Py<PyAny>> {
    Ok(PyTuple::new(py, values.iter().map(Converted))?.into_any().unbind())
}

/// Converts a list of values to a Python list.
pub fn list(py: Python<'_>, values: &[Value]) -> PyResult<Py<PyAny>> {
    Ok(PyList::new(py, values.iter().map(Converted))?.into_any().unbind())
}
