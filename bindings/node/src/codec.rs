//! Values across the boundary: JSON text with binary placeholders, plus the buffers.
use bytes::Bytes;
use napi::bindgen_prelude::*;
use sio_core::Value;

use crate::err;

/// One value from JS (JSON text where each buffer is a placeholder, and the buffers).
pub(crate) fn value_from_js(json: &str, bins: &[Buffer]) -> Result<Value> {
    let parsed: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| err("ERR_SIO_INVALID_ARGUMENT", format!("bad JSON from the wrapper: {e}")))?;
    let attachments: Vec<Bytes> = bins.iter().map(|b| Bytes::copy_from_slice(b)).collect();
    Value::from_wire(parsed, &attachments).map_err(|e| err("ERR_SIO_INVALID_ARGUMENT", e))
}

/// An argument list from JS (a JSON array).
pub(crate) fn args_from_js(json: &str, bins: &[Buffer]) -> Result<Vec<Value>> {
    match value_from_js(json, bins)? {
        Value::Array(a) => Ok(a),
        other => Ok(vec![other]),
    }
}

/// One value for JS: JSON text and the buffers its placeholders refer to.
pub(crate) fn value_to_js(v: &Value) -> (String, Vec<Vec<u8>>) {
    let mut attachments = Vec::new();
    let json = v.to_wire(&mut attachments).to_string();
    (json, attachments.into_iter().map(|b| b.to_vec()).collect())
}

/// An argument list for JS.
pub(crate) fn args_to_js(args: Vec<Value>) -> (String, Vec<Vec<u8>>) {
    value_to_js(&Value::Array(args))
}
