//! Acknowledgements: answering a client's ack, and waiting for clients' answers.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::error::{AckError, EmitError};
use super::socket::Socket;
use crate::proto::packet::encode_ack;
use crate::value::Value;

/// Answers the acknowledgement a client asked for. Clones share one answer: the first
/// `send` wins, later ones do nothing.
#[derive(Clone)]
pub struct AckSender {
    inner: Arc<AckInner>,
}

struct AckInner {
    socket: Socket,
    id: u64,
    sent: AtomicBool,
}

impl AckSender {
    pub(crate) fn new(socket: Socket, id: u64) -> Self {
        AckSender { inner: Arc::new(AckInner { socket, id, sent: AtomicBool::new(false) }) }
    }

    /// The ack id of the packet.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// Sends the answer. Returns `Ok(false)` if an answer was already sent.
    pub fn send(&self, args: Vec<Value>) -> Result<bool, EmitError> {
        if self.inner.sent.swap(true, Ordering::AcqRel) {
            return Ok(false);
        }
        let s = &self.inner.socket;
        s.send_frames(encode_ack(s.ns(), self.inner.id, &args), false)?;
        Ok(true)
    }
}

impl std::fmt::Debug for AckSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AckSender").field("id", &self.inner.id).finish()
    }
}

/// Where a socket delivers the answer to one of its pending acks.
pub(crate) enum AckSink {
    One(oneshot::Sender<Vec<Value>>),
    Many(mpsc::UnboundedSender<Vec<Value>>),
}

impl AckSink {
    pub(crate) fn deliver(self, args: Vec<Value>) {
        match self {
            AckSink::One(tx) => {
                let _ = tx.send(args);
            }
            AckSink::Many(tx) => {
                let _ = tx.send(args);
            }
        }
    }
}

pub(crate) async fn wait_one(rx: oneshot::Receiver<Vec<Value>>, timeout: Option<Duration>) -> Result<Vec<Value>, AckError> {
    let answer = async { rx.await.map_err(|_| AckError::Disconnected) };
    match timeout {
        Some(t) => tokio::time::timeout(t, answer).await.map_err(|_| AckError::Timeout { partial: Vec::new() })?,
        None => answer.await,
    }
}

/// Collects `expected` answers; stops early when every target is gone.
pub(crate) async fn wait_many(
    mut rx: mpsc::UnboundedReceiver<Vec<Value>>,
    expected: usize,
    timeout: Duration,
) -> Result<Vec<Vec<Value>>, AckError> {
    let mut answers = Vec::with_capacity(expected);
    let deadline = tokio::time::Instant::now() + timeout;
    while answers.len() < expected {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(a)) => answers.push(a),
            // Every target dropped its sink (disconnected): nothing more can come.
            Ok(None) | Err(_) => return Err(AckError::Timeout { partial: answers }),
        }
    }
    Ok(answers)
}
