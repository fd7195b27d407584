//! Values across the boundary: JSON text with binary placeholders, plus the buffers.
use bytes::Bytes;
use napi::bindgen_prelude::*;
use napi::{JsString, JsValue};
use sio_core::{Args, HostArgs, Value, WireTextError};

use crate::err;

/// One value from JS (JSON text where each buffer is a placeholder, and the buffers).
pub(crate) fn value_from_js(json: &str, bins: &[Buffer]) -> Result<Value> {
    Value::from_wire_text(json, &attachments(bins)).map_err(invalid)
}

/// Room kept for reading a JS string: an answer's JSON text fits many times over; a
/// larger one grows it for that read and gives the room back after.
const SCRATCH: usize = 4096;

/// Runs `f` on the text of the JS string `s`, read into this thread's scratch buffer:
/// one napi call for text that fits, where reading a `String` takes two (length, then
/// text) and an allocation freed right after.
pub(crate) fn with_js_str<R>(s: JsString<'_>, f: impl FnOnce(&str) -> Result<R>) -> Result<R> {
    thread_local!(static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) });
    BUF.with(|cell| {
        let Ok(mut buf) = cell.try_borrow_mut() else {
            // Read while reading (not done today): a string of its own.
            return f(read_js_str(s, &mut Vec::new())?);
        };
        let text = read_js_str(s, &mut buf);
        let out = text.and_then(f);
        if buf.capacity() > SCRATCH {
            *buf = Vec::new();
        }
        out
    })
}

fn read_js_str<'b>(s: JsString<'_>, buf: &'b mut Vec<u8>) -> Result<&'b str> {
    let v = s.value();
    let read = |buf: &mut Vec<u8>| -> Result<usize> {
        let mut copied = 0;
        // SAFETY: V8 writes at most `capacity - 1` bytes and a NUL into the buffer.
        check_status!(unsafe {
            napi::sys::napi_get_value_string_utf8(v.env, v.value, buf.as_mut_ptr().cast(), buf.capacity(), &mut copied)
        })?;
        Ok(copied)
    };
    buf.clear();
    buf.reserve(SCRATCH);
    let mut len = read(buf)?;
    if len + 4 >= buf.capacity() {
        // Perhaps cut short (V8 stops before a character that does not fit whole, up to 4
        // bytes): ask for the length, then read it all.
        check_status!(unsafe {
            napi::sys::napi_get_value_string_utf8(v.env, v.value, std::ptr::null_mut(), 0, &mut len)
        })?;
        buf.reserve(len + 1);
        len = read(buf)?;
    }
    // SAFETY: the call above wrote `len` bytes, UTF-8 (Node asks V8 for UTF-8 with lone
    // surrogates replaced; napi-rs reads its `String`s the same way).
    unsafe {
        buf.set_len(len);
        Ok(std::str::from_utf8_unchecked(buf))
    }
}

/// An argument list from JS (a JSON array), kept as text where the core can send it as is.
pub(crate) fn host_args_from_js(json: String, bins: &[Buffer]) -> Result<HostArgs<'static>> {
    HostArgs::from_wire_string(json, &attachments(bins)).map_err(invalid)
}

/// [`host_args_from_js`] for text without buffers, borrowed.
pub(crate) fn host_args_from_js_text(json: &str) -> Result<HostArgs<'_>> {
    HostArgs::from_wire_text(json, &[]).map_err(invalid)
}

/// An argument list from JS (a JSON array).
pub(crate) fn args_from_js(json: &str, bins: &[Buffer]) -> Result<Vec<Value>> {
    match value_from_js(json, bins)? {
        Value::Array(a) => Ok(a),
        _ => Err(invalid(WireTextError::NotAnArray)),
    }
}

fn attachments(bins: &[Buffer]) -> Vec<Bytes> {
    bins.iter().map(|b| Bytes::copy_from_slice(b)).collect()
}

fn invalid(e: WireTextError) -> Error {
    err("ERR_SIO_INVALID_ARGUMENT", format!("bad arguments from the wrapper: {e}"))
}

/// One value for JS: JSON text and the buffers its placeholders refer to.
pub(crate) fn value_to_js(v: &Value) -> (String, Vec<Vec<u8>>) {
    let mut attachments = Vec::new();
    let json = v.to_wire(&mut attachments).to_string();
    (json, attachments.into_iter().map(|b| b.to_vec()).collect())
}

/// An argument list for JS (written straight from the values, no JSON tree in between).
pub(crate) fn args_to_js(args: impl Into<Args>) -> (String, Vec<Vec<u8>>) {
    let mut attachments = Vec::new();
    let json = args.into().into_wire_text(&mut attachments);
    (json, attachments.into_iter().map(|b| b.to_vec()).collect())
}
