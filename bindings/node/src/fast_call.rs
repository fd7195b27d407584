//! `ackByKey` as a plain napi callback. napi-rs wraps every `#[napi]` function in its
//! native-borrow bookkeeping (a scope with a lock, a map and thread-local lists, opened and
//! closed per call): about 1,000 instructions, a third of an answer's cost in the echo
//! profile. The answer is the one call JS makes per message, so it skips that wrapper;
//! the arguments are read with napi directly and the work is `keys::ack_by_key`'s.
use std::ffi::CString;
use std::ptr;

use napi::bindgen_prelude::*;
use napi::{sys, JsString};
use napi_derive::napi;

use crate::err;

/// Returns `ackByKey(key, id, json)` for JS (`runtime.js` takes it once at load).
#[napi(ts_return_type = "(key: number, id: number, json: string) => void")]
pub fn ack_by_key_fn(env: Env) -> Result<RawFunction> {
    let name = "ackByKey";
    let mut f = ptr::null_mut();
    // SAFETY: a plain function with no data pointer; the name outlives the call.
    check_status!(unsafe {
        sys::napi_create_function(
            env.raw(),
            name.as_ptr().cast(),
            name.len() as isize,
            Some(ack_by_key),
            ptr::null_mut(),
            &mut f,
        )
    })?;
    Ok(RawFunction(f))
}

/// A JS function made with napi directly.
pub struct RawFunction(sys::napi_value);

impl ToNapiValue for RawFunction {
    unsafe fn to_napi_value(_: sys::napi_env, f: RawFunction) -> Result<sys::napi_value> {
        Ok(f.0)
    }
}

unsafe extern "C" fn ack_by_key(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    // No panic may unwind into V8.
    let outcome = std::panic::catch_unwind(|| unsafe { answer(env, info) })
        .unwrap_or_else(|_| Err(err("ERR_SIO_INTERNAL", "ackByKey panicked")));
    if let Err(e) = outcome {
        let message = CString::new(e.reason.replace('\0', " ")).unwrap_or_default();
        // SAFETY: a NUL-terminated message; a null code.
        unsafe { sys::napi_throw_error(env, ptr::null(), message.as_ptr()) };
    }
    ptr::null_mut() // undefined
}

unsafe fn answer(env: sys::napi_env, info: sys::napi_callback_info) -> Result<()> {
    let mut argc = 3;
    let mut argv = [ptr::null_mut(); 3];
    check_status!(unsafe {
        sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), ptr::null_mut())
    })?;
    if argc < 3 {
        return Err(err("ERR_SIO_INVALID_ARGUMENT", "ackByKey(key, id, json) takes three arguments"));
    }
    let (mut key, mut id) = (0u32, 0i64);
    check_status!(unsafe { sys::napi_get_value_uint32(env, argv[0], &mut key) }, "ackByKey: the key is a number")?;
    check_status!(unsafe { sys::napi_get_value_int64(env, argv[1], &mut id) }, "ackByKey: the id is a number")?;
    // SAFETY: a value of this call; `with_js_str` reports a value that is not a string.
    let json = unsafe { JsString::from_napi_value(env, argv[2])? };
    crate::keys::ack_by_key(key, id, json)
}
