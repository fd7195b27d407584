//! Files served from memory next to the endpoint: socket.io's `serveClient` (the browser
//! client bundle at `<path>socket.io.js`), for hosts that hand the bytes over.
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::RwLock;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{header, Method, Request, Response, StatusCode};

struct File {
    content_type: String,
    etag: String,
    body: Bytes,
}

#[derive(Default)]
pub(crate) struct Files(RwLock<HashMap<String, File>>);

impl Files {
    pub(crate) fn insert(&self, path: String, content_type: String, body: Bytes) {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        body.hash(&mut h);
        let etag = format!("W/\"{:x}-{:x}\"", body.len(), h.finish());
        self.0.write().expect("files lock poisoned").insert(path, File { content_type, etag, body });
    }

    pub(crate) fn remove(&self, path: &str) {
        self.0.write().expect("files lock poisoned").remove(path);
    }

    /// The response for `req` if it asks for one of the files (GET or HEAD), with an
    /// ETag so that browsers revalidate instead of downloading again.
    pub(crate) fn respond<B>(&self, req: &Request<B>) -> Option<Response<Full<Bytes>>> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return None;
        }
        let files = self.0.read().expect("files lock poisoned");
        let file = files.get(req.uri().path())?;
        let fresh = req.headers().get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == file.etag.as_bytes());
        let builder =
            Response::builder().header(header::ETAG, &file.etag).header(header::CACHE_CONTROL, "public, max-age=0");
        let res = if fresh {
            builder.status(StatusCode::NOT_MODIFIED).body(Full::default())
        } else {
            let body = if req.method() == Method::HEAD { Bytes::new() } else { file.body.clone() };
            builder
                .header(header::CONTENT_TYPE, &file.content_type)
                .header(header::CONTENT_LENGTH, file.body.len())
                .body(Full::new(body))
        };
        Some(res.expect("file response parts are valid"))
    }
}
