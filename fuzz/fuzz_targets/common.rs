//! Helpers shared by the fuzz targets.
#![allow(dead_code)] // each target uses some of these

/// The longest valid UTF-8 prefix of `data` (as `arbitrary` makes a `&str`): inputs stay
/// useful when a mutation breaks the encoding near the end.
pub fn utf8_prefix(data: &[u8]) -> &str {
    match std::str::from_utf8(data) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&data[..e.valid_up_to()]).expect("valid up to there"),
    }
}

/// Whether serde_json (as built here, features unified with sio-core's) parses every
/// float correctly rounded. Without its `float_roundtrip` feature it does not: the text
/// that `ryu` wrote for one f64 may parse back as a neighbour (e.g.
/// `9.999999999000187e+31` reads as `9.999999999000189e+31`, where JavaScript reads the
/// value it wrote).
pub fn exact_floats() -> bool {
    static EXACT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *EXACT.get_or_init(|| serde_json::from_str::<f64>("9.999999999000187e+31").ok() == Some(9.999999999000187e31))
}

/// `a == b`, except that floats may differ by a few units in the last place while
/// [`exact_floats`] is false (see fuzz/README.md): what is left is exact.
pub fn same_value(a: &sio_core::Value, b: &sio_core::Value) -> bool {
    use sio_core::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if !exact_floats() && x.is_f64() && y.is_f64() => {
            let (x, y) = (x.as_f64().expect("f64"), y.as_f64().expect("f64"));
            x == y || (x.is_sign_negative() == y.is_sign_negative() && x.to_bits().abs_diff(y.to_bits()) <= 8)
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((kx, vx), (ky, vy))| kx == ky && same_value(vx, vy))
        }
        _ => a == b,
    }
}
