//! HTTP compression of polling responses, as engine.io's `httpCompression`: gzip or deflate,
//! whichever the request's `Accept-Encoding` prefers (gzip on a tie), for bodies of at
//! least `threshold` bytes. WebSocket messages are not compressed (no permessage-deflate).
use std::io::Write;

use bytes::Bytes;
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;

/// When polling responses are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpCompression {
    /// Smallest body compressed, in bytes (default 1024, engine.io's).
    pub threshold: usize,
}

impl Default for HttpCompression {
    fn default() -> Self {
        HttpCompression { threshold: 1024 }
    }
}

/// A content coding of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Coding {
    Gzip,
    Deflate,
}

impl Coding {
    pub(super) fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }
}

/// The coding an `Accept-Encoding` header prefers among gzip and deflate (q-values, `*`).
pub(super) fn preferred(accept: &str) -> Option<Coding> {
    let mut best: Option<(Coding, f32)> = None;
    for coding in [Coding::Gzip, Coding::Deflate] {
        let q = accept
            .split(',')
            .filter_map(|part| {
                let mut it = part.split(';');
                let name = it.next()?.trim();
                let q =
                    it.find_map(|p| p.trim().strip_prefix("q=")).map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                let specific = name.eq_ignore_ascii_case(coding.name());
                (specific || name == "*").then_some((specific, q))
            })
            // A coding named explicitly wins over `*`.
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, q)| q);
        if let Some(q) = q.filter(|q| *q > 0.0) {
            if best.is_none_or(|(_, bq)| q > bq) {
                best = Some((coding, q));
            }
        }
    }
    best.map(|(c, _)| c)
}

/// `body` compressed with `coding` (default level, as Node's zlib).
pub(super) fn compress(body: &[u8], coding: Coding) -> Bytes {
    // Writing into a Vec cannot fail.
    let out = match coding {
        Coding::Gzip => {
            let mut e = GzEncoder::new(Vec::with_capacity(body.len() / 2), Compression::default());
            e.write_all(body).expect("Vec write");
            e.finish().expect("Vec write")
        }
        // HTTP's "deflate" is the zlib format (RFC 9110), as Node's zlib.createDeflate writes.
        Coding::Deflate => {
            let mut e = ZlibEncoder::new(Vec::with_capacity(body.len() / 2), Compression::default());
            e.write_all(body).expect("Vec write");
            e.finish().expect("Vec write")
        }
    };
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn picks_what_the_request_prefers() {
        assert_eq!(preferred("gzip, deflate, br"), Some(Coding::Gzip));
        assert_eq!(preferred("deflate"), Some(Coding::Deflate));
        assert_eq!(preferred("gzip;q=0.5, deflate"), Some(Coding::Deflate));
        assert_eq!(preferred("gzip;q=0, deflate;q=0"), None);
        assert_eq!(preferred("br"), None);
        assert_eq!(preferred("*"), Some(Coding::Gzip));
        assert_eq!(preferred("*;q=0.1, deflate;q=0.5"), Some(Coding::Deflate));
        assert_eq!(preferred("identity"), None);
        assert_eq!(preferred(""), None);
    }

    #[test]
    fn compressed_bodies_decompress() {
        let body = "4hello ".repeat(500);
        let gz = compress(body.as_bytes(), Coding::Gzip);
        let mut out = String::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut out).unwrap();
        assert_eq!(out, body);
        let z = compress(body.as_bytes(), Coding::Deflate);
        let mut out = String::new();
        flate2::read::ZlibDecoder::new(&z[..]).read_to_string(&mut out).unwrap();
        assert_eq!(out, body);
        assert!(z.len() < body.len() / 10);
    }
}
