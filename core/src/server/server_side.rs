//! Server-side events between the nodes of a cluster (socket.io's `serverSideEmit`):
//! each namespace sends and receives its own, as `io.of("/admin").serverSideEmit(..)`
//! reaches only the `io.of("/admin").on(..)` listeners of the other nodes.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use super::namespace::Namespace;
use crate::error::{AckError, EmitError};
use crate::value::Value;

pub(crate) type ServerSideHandler = Arc<dyn Fn(&[Value], Option<ServerSideAck>) + Send + Sync>;
/// Sees every server-side event of every namespace: (namespace, event, args, ack).
pub(crate) type AnyServerSideHandler = Arc<dyn Fn(&str, &str, &[Value], Option<ServerSideAck>) + Send + Sync>;

/// A namespace's listeners, by event name.
#[derive(Default)]
pub(crate) struct ServerSideHandlers(RwLock<HashMap<String, Vec<ServerSideHandler>>>);

/// The function answering a server-side event, taken by the first `send`.
type AnswerOnce = Box<dyn FnOnce(Value) + Send>;

/// The answer to a server-side event from another node: the first `send` wins.
#[derive(Clone)]
pub struct ServerSideAck(Arc<Mutex<Option<AnswerOnce>>>);

impl ServerSideAck {
    fn new(f: AnswerOnce) -> Self {
        ServerSideAck(Arc::new(Mutex::new(Some(f))))
    }

    /// Answers; returns false when an answer was already sent.
    pub fn send(&self, value: Value) -> bool {
        match self.0.lock().expect("ack lock poisoned").take() {
            Some(f) => {
                f(value);
                true
            }
            None => false,
        }
    }
}

impl std::fmt::Debug for ServerSideAck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSideAck").finish_non_exhaustive()
    }
}

/// The adapters' wire form: the event name first, then the arguments.
fn event_data(event: &str, args: Vec<Value>) -> Vec<Value> {
    let mut data = Vec::with_capacity(args.len() + 1);
    data.push(Value::from(event));
    data.extend(args);
    data
}

impl Namespace {
    /// Registers a handler for events the other servers of the cluster send to this
    /// namespace with [`Namespace::server_side_emit`].
    pub fn on_server_side(&self, event: impl Into<String>, f: impl Fn(&[Value]) + Send + Sync + 'static) {
        self.on_server_side_with_ack(event, move |args, _ack| f(args));
    }

    /// Same, for senders that may wait for an answer ([`Namespace::server_side_emit_with_ack`]):
    /// `ack` is `Some` when the sender waits, and takes one value.
    pub fn on_server_side_with_ack(
        &self,
        event: impl Into<String>,
        f: impl Fn(&[Value], Option<ServerSideAck>) + Send + Sync + 'static,
    ) {
        let mut map = self.0.server_side.0.write().expect("handler lock poisoned");
        map.entry(event.into()).or_default().push(Arc::new(f));
    }

    /// Sends an event to this namespace on the other servers of the cluster (not to
    /// clients). Returns the number of other servers known at the adapter's last count:
    /// 0 when alone.
    pub fn server_side_emit(&self, event: &str, args: Vec<Value>) -> Result<usize, EmitError> {
        crate::error::check_reserved(event)?;
        let Some(adapter) = &self.0.cluster else {
            return Ok(0);
        };
        Ok(adapter.server_side_emit(self.name(), &event_data(event, args)))
    }

    /// Sends an event to the other servers and collects one answer from each. Fails with
    /// [`AckError::Timeout`] (holding the answers received) when some did not answer in time.
    pub async fn server_side_emit_with_ack(&self, event: &str, args: Vec<Value>) -> Result<Vec<Value>, AckError> {
        crate::error::check_reserved(event)?;
        let Some(adapter) = self.0.cluster.clone() else {
            return Ok(Vec::new());
        };
        adapter
            .server_side_emit_with_ack(self.name(), &event_data(event, args))
            .await
            .map_err(|(_, partial)| AckError::Timeout { partial: partial.into_iter().map(|v| vec![v]).collect() })
    }

    /// Delivers a server-side event from another node, in the adapters' wire form.
    pub(crate) fn receive_server_side_data(
        &self,
        any: &[AnyServerSideHandler],
        mut data: Vec<Value>,
        ack: Option<AnswerOnce>,
    ) {
        if data.is_empty() {
            return;
        }
        let Value::String(event) = data.remove(0) else {
            return;
        };
        self.dispatch_server_side(any, &event, &data, ack.map(ServerSideAck::new));
    }

    pub(crate) fn dispatch_server_side(
        &self,
        any: &[AnyServerSideHandler],
        event: &str,
        args: &[Value],
        ack: Option<ServerSideAck>,
    ) {
        let handlers = self.0.server_side.0.read().expect("handler lock poisoned").get(event).cloned();
        for h in handlers.unwrap_or_default() {
            h(args, ack.clone());
        }
        for h in any {
            h(self.name(), event, args, ack.clone());
        }
    }
}
