//! Strings and event arguments across the ABI.
use std::ffi::c_char;

use bytes::Bytes;
use sio_core::{Args, HostArgs, Value, WireTextError};

use crate::error::{null, sio_status, Error};

/// The host's `user_data`: by registering a callback with it, the host promised that it
/// may be used from any thread (runtime threads call the callbacks).
#[derive(Debug, Clone, Copy)]
pub(crate) struct HostPtr(pub(crate) *mut std::ffi::c_void);
unsafe impl Send for HostPtr {}
unsafe impl Sync for HostPtr {}

/// Text for C: NUL-terminated, NULs inside escaped as the event strings are.
pub(crate) fn c_text(s: &str) -> std::ffi::CString {
    if !s.as_bytes().contains(&0) {
        // One allocation with room for the NUL (every event's name and namespace).
        let mut v = Vec::with_capacity(s.len() + 1);
        v.extend_from_slice(s.as_bytes());
        return std::ffi::CString::new(v).expect("checked: no NUL");
    }
    std::ffi::CString::new(s.replace('\0', "\\u0000")).expect("NULs were escaped")
}

/// A binary buffer: `len` bytes at `ptr`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sio_buf {
    /// First byte (may be NULL when `len` is 0).
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: usize,
}

/// A UTF-8 string in an array argument (e.g. the rooms of `sio_server_emit_rooms`): `len`
/// bytes at `ptr`, not NUL-terminated. `ptr` may be NULL only when `len` is 0.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sio_str {
    /// First byte.
    pub ptr: *const c_char,
    /// Length in bytes.
    pub len: usize,
}

/// An array of `n` strings (`list` may be NULL only when `n` is 0); `name` is used in
/// error messages.
pub(crate) unsafe fn str_list<'a>(list: *const sio_str, n: usize, name: &str) -> Result<Vec<&'a str>, Error> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if list.is_null() {
        return Err(null(name));
    }
    std::slice::from_raw_parts(list, n)
        .iter()
        .enumerate()
        .map(|(i, s)| str_arg(s.ptr, s.len, &format!("{name}[{i}]")))
        .collect()
}

/// A UTF-8 string argument (`ptr`, `len`); `name` is used in error messages.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, len: usize, name: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return if len == 0 { Ok("") } else { Err(null(name)) };
    }
    let bytes = std::slice::from_raw_parts(ptr.cast::<u8>(), len);
    std::str::from_utf8(bytes).map_err(|e| Error::new(sio_status::SIO_ERR_INVALID_UTF8, format!("{name}: {e}")))
}

/// An optional string: NULL means absent.
pub(crate) unsafe fn opt_str_arg<'a>(ptr: *const c_char, len: usize, name: &str) -> Result<Option<&'a str>, Error> {
    if ptr.is_null() {
        Ok(None)
    } else {
        str_arg(ptr, len, name).map(Some)
    }
}

/// Parses a JSON value that may reference `bufs` through placeholders.
pub(crate) unsafe fn value_arg(
    json: *const c_char,
    json_len: usize,
    bufs: *const sio_buf,
    n_bufs: usize,
) -> Result<Value, Error> {
    let text = str_arg(json, json_len, "json")?;
    let attachments = attachments_arg(bufs, n_bufs)?;
    Value::from_wire_text(text, &attachments).map_err(invalid_json)
}

/// The buffers a placeholder may refer to (copied: the caller keeps its memory).
unsafe fn attachments_arg(bufs: *const sio_buf, n_bufs: usize) -> Result<Vec<Bytes>, Error> {
    if n_bufs == 0 {
        return Ok(Vec::new());
    }
    if bufs.is_null() {
        return Err(null("bufs"));
    }
    std::slice::from_raw_parts(bufs, n_bufs)
        .iter()
        .map(|b| {
            if b.ptr.is_null() && b.len > 0 {
                Err(null("bufs[i].ptr"))
            } else if b.len == 0 {
                Ok(Bytes::new())
            } else {
                Ok(Bytes::copy_from_slice(std::slice::from_raw_parts(b.ptr, b.len)))
            }
        })
        .collect()
}

fn invalid_json(e: WireTextError) -> Error {
    Error::new(sio_status::SIO_ERR_INVALID_JSON, e.to_string())
}

/// Event arguments: a JSON array (NULL/empty means no arguments).
pub(crate) unsafe fn args_arg(
    json: *const c_char,
    json_len: usize,
    bufs: *const sio_buf,
    n_bufs: usize,
) -> Result<Vec<Value>, Error> {
    if json.is_null() || json_len == 0 {
        return Ok(Vec::new());
    }
    match value_arg(json, json_len, bufs, n_bufs)? {
        Value::Array(a) => Ok(a),
        _ => Err(invalid_json(WireTextError::NotAnArray)),
    }
}

/// Event arguments kept as the caller's JSON text where the core can send it as is.
pub(crate) unsafe fn host_args_arg<'a>(
    json: *const c_char,
    json_len: usize,
    bufs: *const sio_buf,
    n_bufs: usize,
) -> Result<HostArgs<'a>, Error> {
    if json.is_null() || json_len == 0 {
        return Ok(HostArgs::Values(Vec::new()));
    }
    let text = str_arg(json, json_len, "json")?;
    let attachments = attachments_arg(bufs, n_bufs)?;
    HostArgs::from_wire_text(text, &attachments).map_err(invalid_json)
}

/// Arguments for C: JSON text (with placeholders) and the buffers it references.
pub(crate) struct WireArgs {
    /// NUL-terminated for C as it was written (serde_json escapes every control
    /// character, so the text holds no NUL): no copy per event.
    pub json: std::ffi::CString,
    /// Owns the bytes `bufs` points into.
    #[allow(dead_code)]
    pub atts: Vec<Bytes>,
    pub bufs: Vec<sio_buf>,
}

impl WireArgs {
    pub(crate) fn new(args: &[Value]) -> WireArgs {
        let mut atts = Vec::new();
        let json = std::ffi::CString::new(Value::args_to_wire_text(args, &mut atts)).expect("JSON text holds no NUL");
        let bufs = atts.iter().map(|b| sio_buf { ptr: b.as_ptr(), len: b.len() }).collect();
        WireArgs { json, atts, bufs }
    }

    /// An event's arguments: the text of a text packet as it came, or its values written.
    pub(crate) fn from_args(args: Args) -> WireArgs {
        let mut atts = Vec::new();
        // Checked JSON holds no NUL (a string's control characters are escaped).
        let json = std::ffi::CString::new(args.into_wire_text(&mut atts)).expect("JSON text holds no NUL");
        let bufs = atts.iter().map(|b| sio_buf { ptr: b.as_ptr(), len: b.len() }).collect();
        WireArgs { json, atts, bufs }
    }
}

/// Writes an owned, NUL-terminated copy of `s` for the caller (freed by `sio_string_free`).
pub(crate) unsafe fn out_string(s: &str, out: *mut *mut c_char, out_len: *mut usize) {
    let c = c_text(s);
    if !out_len.is_null() {
        *out_len = c.as_bytes().len();
    }
    *out = c.into_raw();
}

/// Frees a string returned by sio (NULL-safe). Call once.
#[no_mangle]
pub unsafe extern "C" fn sio_string_free(s: *mut c_char) {
    crate::error::guard_void(|| {
        if !s.is_null() {
            drop(std::ffi::CString::from_raw(s));
        }
    });
}

/// The event name and arguments every emit function takes.
pub(crate) unsafe fn event_args<'a>(
    event: *const c_char,
    event_len: usize,
    args_json: *const c_char,
    args_json_len: usize,
    bufs: *const sio_buf,
    n_bufs: usize,
) -> Result<(&'a str, Vec<Value>), Error> {
    if event.is_null() {
        return Err(null("event"));
    }
    Ok((str_arg(event, event_len, "event")?, args_arg(args_json, args_json_len, bufs, n_bufs)?))
}

/// An optional NUL-terminated UTF-8 string of an options struct (NULL: `None`).
pub(crate) unsafe fn cstr<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>, Error> {
    if p.is_null() {
        return Ok(None);
    }
    std::ffi::CStr::from_ptr(p)
        .to_str()
        .map(Some)
        .map_err(|e| Error::new(sio_status::SIO_ERR_INVALID_UTF8, format!("{name}: {e}")))
}
