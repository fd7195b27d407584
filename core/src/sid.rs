//! Random identifiers shared by the engine (session ids) and Socket.IO (socket ids, pids).
use base64::Engine as _;
use rand::RngCore;

/// A random 20-character URL-safe identifier (15 random bytes, base64url), the shape
/// the reference implementation uses for Engine.IO and Socket.IO ids.
pub(crate) fn generate() -> String {
    let mut raw = [0u8; 15];
    rand::rng().fill_bytes(&mut raw);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_20_url_safe_chars_and_unique() {
        let a = super::generate();
        let b = super::generate();
        assert_eq!(a.len(), 20);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(a, b);
    }
}
