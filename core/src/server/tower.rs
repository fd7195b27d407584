//! The server as a tower [`Layer`]: Socket.IO on the server's path, every other request to
//! the service it wraps, on one port. Works with axum (`Router::layer`) and with hyper 1
//! (through `hyper_util::service::TowerToHyperService`), for any request body.
//!
//! ```text
//! let app = axum::Router::new().route("/", get(index)).layer(SocketIoLayer::new(io));
//! ```
//!
//! `handshake.address` is the peer of a [`Peer`] or [`SocketAddr`] request extension (axum's
//! `ConnectInfo` is copied into one by a `map_request`, see the axum example); without
//! one it is `0.0.0.0:0`.
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use super::Server;
use crate::engine::server::{Peer, RequestBody};

/// Wraps a service so that requests under the server's path go to the server.
#[derive(Clone)]
pub struct SocketIoLayer {
    server: Server,
}

impl SocketIoLayer {
    /// A layer serving `server` (its `path`, `/socket.io/` by default).
    pub fn new(server: Server) -> Self {
        SocketIoLayer { server }
    }
}

impl<S> Layer<S> for SocketIoLayer {
    type Service = SocketIoService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SocketIoService { server: self.server.clone(), inner }
    }
}

/// The service of [`SocketIoLayer`]: the server's path here, the rest to `inner`.
#[derive(Clone)]
pub struct SocketIoService<S> {
    server: Server,
    inner: S,
}

impl<S> SocketIoService<S> {
    /// `server` in front of `inner`.
    pub fn new(server: Server, inner: S) -> Self {
        SocketIoService { server, inner }
    }
}

/// The response body: the server's bytes, or the inner service's body.
pub type SocketIoBody<B> = Either<Full<Bytes>, B>;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SocketIoService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    ReqBody: RequestBody,
{
    type Response = Response<SocketIoBody<ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        if !self.server.engine().matches(req.uri().path()) {
            let fut = self.inner.call(req);
            return Box::pin(async move { fut.await.map(|res| res.map(Either::Right)) });
        }
        let peer = peer_of(&req);
        let server = self.server.clone();
        Box::pin(async move { Ok(server.handle_from(req, peer).await.map(Either::Left)) })
    }
}

fn peer_of<B>(req: &Request<B>) -> Peer {
    let ext = req.extensions();
    ext.get::<Peer>()
        .copied()
        .or_else(|| ext.get::<SocketAddr>().map(|a| Peer::plain(*a)))
        .unwrap_or_else(|| Peer::plain(SocketAddr::from(([0, 0, 0, 0], 0))))
}
