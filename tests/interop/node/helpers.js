// Small promise helpers for the interop tests: every wait has a timeout so a failure fails fast.
import { io, Manager } from "socket.io-client";
import WebSocket from "ws";
import { startServer } from "./fixture.js";

export { io, Manager };

/** Rejects with a clear message if `promise` does not settle within `ms`. */
export function withTimeout(promise, ms, what = "operation") {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Resolves with the argument array of the next `event` on `emitter` (a socket.io-client Socket,
 * Manager or engine, or a node EventEmitter). Rejects after `ms`.
 * If `rejectOn` names other events, such an event rejects the wait (e.g. "connect_error").
 */
export function nextEvent(emitter, event, ms = 5000, { rejectOn = [] } = {}) {
  return new Promise((resolve, reject) => {
    const listeners = [];
    const cleanup = () => {
      clearTimeout(timer);
      for (const [ev, fn] of listeners) emitter.off(ev, fn);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${ms} ms waiting for "${event}"`));
    }, ms);
    const ok = (...args) => { cleanup(); resolve(args); };
    listeners.push([event, ok]);
    emitter.on(event, ok);
    for (const bad of rejectOn) {
      const fn = (...args) => {
        cleanup();
        const detail = args[0] instanceof Error ? `${args[0].message} ${JSON.stringify(args[0].data ?? null)}` : JSON.stringify(args);
        reject(new Error(`got "${bad}" (${detail}) while waiting for "${event}"`));
      };
      listeners.push([bad, fn]);
      emitter.on(bad, fn);
    }
  });
}

/** Records every occurrence of `event` (argument arrays); `.next(n)` waits until n were seen in total. */
export function record(emitter, event) {
  const seen = [];
  const waiters = [];
  emitter.on(event, (...args) => {
    seen.push(args);
    for (const w of [...waiters]) if (seen.length >= w.n) { waiters.splice(waiters.indexOf(w), 1); w.resolve(seen.slice(0, w.n)); }
  });
  return {
    seen,
    count: (n, ms = 5000) => {
      if (seen.length >= n) return Promise.resolve(seen.slice(0, n));
      return withTimeout(new Promise((resolve) => waiters.push({ n, resolve })), ms,
        `${n} "${event}" event(s) (got ${seen.length}: ${JSON.stringify(seen)})`);
    },
  };
}

/** Drops the connection-state-recovery offset the server appends as the last argument. */
export function stripOffset(args) {
  if (args.length && typeof args[args.length - 1] === "string") return args.slice(0, -1);
  return args;
}

/** True for anything socket.io-client hands out for a binary attachment. */
export function isBinary(x) {
  return Buffer.isBuffer(x) || x instanceof ArrayBuffer || ArrayBuffer.isView(x);
}
export function toBuffer(x) {
  if (Buffer.isBuffer(x)) return x;
  if (x instanceof ArrayBuffer) return Buffer.from(x);
  if (ArrayBuffer.isView(x)) return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  throw new Error(`not binary: ${JSON.stringify(x)}`);
}

/**
 * The two ack shapes the contract's "acks with [err, value]" may mean: ack(err, value) or
 * ack([err, value]). Returns [err, value].
 */
export function ackPair(args) {
  if (args.length === 2) return args;
  if (args.length === 1 && Array.isArray(args[0]) && args[0].length === 2) return args[0];
  throw new Error(`expected an ack (err, value), got ${JSON.stringify(args)}`);
}

/** emit with an ack callback; resolves with the full ack argument list. */
export function emitAck(socket, ms, event, ...args) {
  return withTimeout(new Promise((resolve) => socket.emit(event, ...args, (...reply) => resolve(reply))), ms,
    `ack of "${event}"`);
}

/**
 * Per-test harness: servers and clients created through it are closed in t.after().
 *   const h = harness(t);
 *   const srv = await h.server(["--recovery"]);
 *   const { socket, welcome } = h.client(srv.url, { transports: ["websocket"] });
 */
export function harness(t) {
  const servers = [];
  const sockets = [];
  const managers = [];
  const raws = [];
  t.after(async () => {
    for (const s of sockets) { try { s.disconnect(); } catch { /* ignore */ } }
    for (const m of managers) { try { m._close(); } catch { /* ignore */ } }
    for (const ws of raws) { try { ws.terminate(); } catch { /* ignore */ } }
    await Promise.all(servers.map((s) => s.stop()));
  });
  return {
    async server(args = [], opts = {}) {
      const s = await startServer({ args, ...opts });
      servers.push(s);
      return s;
    },
    /** socket.io-client socket on its own Manager with fast reconnection; `welcome` is its first welcome event. */
    client(url, opts = {}, nsp = "/") {
      const socket = io(url + (nsp === "/" ? "" : nsp), {
        forceNew: true,
        reconnectionDelay: 100,
        reconnectionDelayMax: 300,
        ...opts,
      });
      sockets.push(socket);
      managers.push(socket.io);
      const welcome = nextEvent(socket, "welcome", 8000, { rejectOn: ["connect_error"] });
      welcome.catch(() => {}); // not every test awaits it
      const connected = nextEvent(socket, "connect", 8000, { rejectOn: ["connect_error"] });
      connected.catch(() => {});
      return { socket, welcome, connected };
    },
    manager(url, opts = {}) {
      const m = new Manager(url, { reconnectionDelay: 100, reconnectionDelayMax: 300, ...opts });
      managers.push(m);
      return m;
    },
    track(socket) { sockets.push(socket); managers.push(socket.io); return socket; },
    /** A raw Engine.IO websocket (no socket.io-client): returns { ws, messages, next(pred, ms), closed }. */
    raw(url, query = "") {
      const ws = new WebSocket(url.replace(/^http/, "ws") + `/socket.io/?EIO=4&transport=websocket${query}`);
      raws.push(ws);
      return rawPeer(ws);
    },
  };
}

function rawPeer(ws) {
  const messages = [];
  const waiters = new Set();
  const closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  const opened = new Promise((resolve, reject) => { ws.on("open", resolve); ws.on("error", reject); });
  opened.catch(() => {});
  ws.on("message", (data, isBinary) => {
    const m = isBinary ? data : data.toString();
    messages.push(m);
    for (const w of [...waiters]) w(m);
  });
  return {
    ws,
    messages,
    opened,
    closed,
    send: (m) => ws.send(m),
    /** next text frame (already received or future) matching pred, not consumed before `from` index */
    next(pred, ms = 5000, what = pred.toString()) {
      const found = messages.find((m) => typeof m === "string" && pred(m));
      if (found !== undefined) return Promise.resolve(found);
      return withTimeout(new Promise((resolve) => {
        const w = (m) => { if (typeof m === "string" && pred(m)) { waiters.delete(w); resolve(m); } };
        waiters.add(w);
      }), ms, `raw frame ${what} (got ${JSON.stringify(messages)})`);
    },
  };
}

/** Sort helper for arrays of arrays/objects compared as JSON. */
export const byJson = (a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0);
