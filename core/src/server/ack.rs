//! Acknowledgements: answering a client's ack, and waiting for clients' answers.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::socket::Socket;
use crate::error::{AckError, EmitError};
use crate::host_args::HostArgs;
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

    /// Sends the answer. Returns `Ok(false)` if an answer was already sent, and
    /// [`EmitError::Disconnected`] once the socket has left (even if its connection is
    /// still open: the client would not know what the answer is for).
    pub fn send(&self, args: Vec<Value>) -> Result<bool, EmitError> {
        self.send_host(HostArgs::Values(args))
    }

    /// [`AckSender::send`] with arguments as a host passed them (JSON text is sent as is).
    pub fn send_host(&self, args: HostArgs<'_>) -> Result<bool, EmitError> {
        let s = &self.inner.socket;
        if !s.connected() {
            return Err(EmitError::Disconnected);
        }
        if self.inner.sent.swap(true, Ordering::AcqRel) {
            return Ok(false);
        }
        send_ack(s, self.inner.id, &args)?;
        Ok(true)
    }
}

/// Sends the ACK `id` on `s` with `args`. For a host that answers each id once (the
/// faces' `answer_id`), nothing else is needed: no [`AckSender`] (an allocation) per answer.
pub(crate) fn send_ack(s: &Socket, id: u64, args: &HostArgs<'_>) -> Result<(), EmitError> {
    if !s.connected() {
        return Err(EmitError::Disconnected);
    }
    match args {
        HostArgs::Values(values) => s.send_frames(s.0.ns.parser.encode_ack(s.ns(), id, values), false),
        HostArgs::Wire(text) => s.send_frame(s.0.ns.parser.encode_ack_wire(s.ns(), id, text)),
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

pub(crate) async fn wait_one(
    rx: oneshot::Receiver<Vec<Value>>,
    timeout: Option<Duration>,
) -> Result<Vec<Value>, AckError> {
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

/// Collects the answers of a broadcast with acks across a cluster: `local` answers from
/// this node's `expected` clients, and from `remote` a client count from each of `nodes`
/// other nodes followed by their clients' answers. Complete when every node reported and
/// every counted client answered.
pub(crate) async fn wait_cluster(
    mut local: mpsc::UnboundedReceiver<Vec<Value>>,
    expected: usize,
    mut remote: mpsc::UnboundedReceiver<super::cluster::RemoteAck>,
    nodes: usize,
    deadline: tokio::time::Instant,
) -> Result<Vec<Vec<Value>>, AckError> {
    use super::cluster::RemoteAck;
    let mut answers = Vec::with_capacity(expected);
    let (mut local_answers, mut reported, mut remote_expected) = (0, 0, 0);
    let (mut local_open, mut remote_open) = (true, true);
    loop {
        if local_answers >= expected && reported >= nodes && answers.len() >= expected + remote_expected {
            return Ok(answers);
        }
        // Local targets gone before answering, or no node left to report: cannot complete.
        if !local_open && (local_answers < expected || !remote_open) {
            return Err(AckError::Timeout { partial: answers });
        }
        let next = tokio::time::timeout_at(deadline, async {
            tokio::select! {
                a = local.recv(), if local_open => (Some(a), None),
                r = remote.recv(), if remote_open => (None, Some(r)),
            }
        });
        match next.await {
            Err(_) => return Err(AckError::Timeout { partial: answers }),
            Ok((Some(Some(a)), _)) => {
                local_answers += 1;
                answers.push(a);
            }
            Ok((Some(None), _)) => local_open = false,
            Ok((_, Some(Some(RemoteAck::ClientCount(n))))) => {
                reported += 1;
                remote_expected += n;
            }
            Ok((_, Some(Some(RemoteAck::Ack(v))))) => answers.push(vec![v]),
            Ok((_, Some(None))) => remote_open = false,
            Ok((None, None)) => unreachable!("select yields one branch"),
        }
    }
}
