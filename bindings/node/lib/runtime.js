'use strict';
// One dispatcher for every native event, and the keep-alive that decides how long the
// process must live (the native ThreadsafeFunction is weak: it never holds the loop).
const native = require('./addon');

const servers = new Map();
const clients = new Map();
const managers = new Map();
// Client `socket.io.engine`s with listeners, by their manager's key: weakly, since their
// events (a `close` after the last socket let go of its manager) must reach them while
// the user holds them, without keeping them alive.
const engines = new Map();
const enginesGone = new FinalizationRegistry((key) => {
  if (engines.get(key)?.deref() === undefined) engines.delete(key);
});
/** Routes the `manager_engine` events of manager `key` to `engine` (while it lives). */
function registerEngine(key, engine) {
  engines.set(key, new WeakRef(engine));
  enginesGone.register(engine, key);
}
const acks = new Map();
let nextAck = 1;

let holders = 0;
let timer = null;
function acquire() {
  if (holders++ === 0) timer = setInterval(() => {}, 1 << 30);
}
function release() {
  if (holders > 0 && --holders === 0) {
    clearInterval(timer);
    timer = null;
  }
}

/** Registers a one-shot completion; returns its key. Holds the process until it fires. */
function registerAck(fn) {
  const key = nextAck++;
  if (nextAck > 0x7fffffff) nextAck = 1;
  acks.set(key, fn);
  return key;
}

/** Drops a completion whose native call threw (nothing will complete it). */
function forgetAck(key) {
  acks.delete(key);
}

/** Runs the native call `fn` for ack `key`; forgets the ack if the call throws. */
function withAck(key, fn) {
  try {
    return fn();
  } catch (e) {
    forgetAck(key);
    throw e;
  }
}

function dispatch(ev) {
  if (Array.isArray(ev)) {
    // A packed message: [owner, socket number, ack id, name, ...arguments].
    const s = servers.get(ev[0]);
    if (s) s._onPacked(ev);
    return;
  }
  if (ev.kind === 'ack') {
    const fn = acks.get(ev.key);
    if (fn) {
      acks.delete(ev.key);
      fn(ev);
    }
    return;
  }
  if (ev.kind === 'manager_engine') {
    const e = engines.get(ev.owner)?.deref();
    if (e) e._onNative(ev);
    return;
  }
  if (ev.kind.startsWith('reconnect')) {
    const m = managers.get(ev.owner);
    if (m) m._onNative(ev);
    return;
  }
  if (ev.kind.startsWith('client_')) {
    const c = clients.get(ev.owner);
    if (c) c._onNative(ev);
    else if (ev.authReply) ev.authReply.send('{}'); // a runtime thread waits for it
    return;
  }
  const s = servers.get(ev.owner);
  if (s) s._onNative(ev);
  else if (ev.matchReply) ev.matchReply.send(false); // a runtime thread waits for it
  else if (ev.leaving) ev.leaving.release(); // the socket waits for it to leave
}

// Events arrive in batches: one crossing from the runtime carries every event queued since
// the last one. Between two events the microtask queue drains completely (the next event
// is dispatched from a nextTick scheduled by the last microtask queued so far, and Node
// runs nextTicks only once the microtask queue is empty), so, as with socket.io reading
// packets off its sockets, code awaiting one event (`await once(io, 'connection')`) runs
// before the next is dispatched. After EVENTS_PER_TURN events the loop gets a turn (I/O,
// timers). Each run of events is one native turn: the answers JS queues wake their
// connections once, when the run ends, not once each. A handler that throws does not stop
// the others; its error is rethrown on its own, as an uncaught exception.
const EVENTS_PER_TURN = 256;
const queue = [];
let head = 0;
let scheduled = false;
let inTurn = 0;
const afterMicrotasks = () => process.nextTick(pump);
// The microtask goes through a settled promise, not `queueMicrotask`: Node wraps each
// `queueMicrotask` callback in an async resource (an AsyncResource and a bound function
// per call), which cost 10-15% of the echo's round trips (bench/PROFILE.md).
const resolved = Promise.resolve();

function pump() {
  scheduled = false;
  if (inTurn === 0) native.beginTurn();
  const ev = queue[head];
  queue[head++] = undefined;
  if (head === queue.length) {
    queue.length = 0;
    head = 0;
  }
  try {
    dispatch(ev);
  } catch (e) {
    process.nextTick(() => {
      throw e;
    });
  }
  if (head < queue.length && ++inTurn < EVENTS_PER_TURN) {
    scheduled = true;
    resolved.then(afterMicrotasks);
    return;
  }
  inTurn = 0;
  native.endTurn();
  if (head < queue.length) {
    scheduled = true;
    setImmediate(pump);
  }
}

// Log records (lib/log.js installs the native sink) are written as they arrive, outside
// the pump: they are no user events and must not change when those run.
let onLog = null;
/** Sets the function that writes the core's log records (`log` events). */
function setLogHandler(fn) {
  onLog = fn;
}

// The I/O of an attached http.Server (lib/attach.js: `host_*` events: answers to write,
// WebSocket messages for the peer) is done as it arrives, outside the pump too: it is the
// transport, not user events, and waits for no handler.
let onHost = null;
/** Sets the function that handles `host_*` events. */
function setHostHandler(fn) {
  onHost = fn;
}

function dispatchBatch(batch) {
  for (const ev of batch) {
    if (ev.kind.startsWith('host_')) {
      try {
        onHost(ev);
      } catch (e) {
        process.nextTick(() => {
          throw e;
        });
      }
    } else if (ev.kind === 'messages') {
      // A run of server messages without buffers, packed into one JSON text by the addon;
      // each names its socket by the number the socket's `connection` event gave it.
      for (const m of JSON.parse(ev.json)) queue.push(m);
    } else if (ev.kind !== 'log') queue.push(ev);
    else if (onLog) {
      try {
        onLog(ev);
      } catch {
        // A log line that cannot be written is dropped.
      }
    }
  }
  if (!scheduled && queue.length > head) pump();
}

native.init(dispatchBatch);
// The answer to a message, called once per message: a plain napi function (src/fast_call.rs).
const ackByKey = native.ackByKeyFn();

module.exports = {
  native,
  ackByKey,
  servers,
  clients,
  managers,
  registerEngine,
  registerAck,
  withAck,
  acquire,
  release,
  setLogHandler,
  setHostHandler,
};
