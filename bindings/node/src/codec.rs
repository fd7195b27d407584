//! Values across the boundary: JSON text with binary placeholders, plus the buffers.
use bytes::Bytes;
use napi::bindgen_prelude::*;
use sio_core::{HostArgs, Value, WireTextError};

use crate::err;

/// One value from JS (JSON text where each buffer is a placeholder, and the buffers).
pub(crate) fn value_from_js(json: &str, bins: &[Buffer]) -> Result<Value> {
    Value::from_wire_text(json, &attachments(bins)).map_err(invalid)
}

/// An argument list from JS (a JSON array), kept as text where the core can send it as is.
pub(crate) fn host_args_from_js(json: String, bins: &[Buffer]) -> Result<HostArgs> {
    HostArgs::from_wire_string(json, &attachments(bins)).map_err(invalid)
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
pub(crate) fn args_to_js(args: Vec<Value>) -> (String, Vec<Vec<u8>>) {
    let mut attachments = Vec::new();
    let json = Value::args_to_wire_text(&args, &mut attachments);
    (json, attachments.into_iter().map(|b| b.to_vec()).collect())
}
