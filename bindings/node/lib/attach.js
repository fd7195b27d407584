'use strict';
// `new Server(httpServer)` / `io.attach(httpServer)` (Express, Fastify's `server`): the
// application's http.Server hands the core what arrives for the socket.io path, with no
// loopback hop. Polling requests go whole to the core (`handleHttp`, body bounded by
// maxHttpBufferSize) and their answers come back as `host_http` events. A WebSocket upgrade
// on plain TCP hands the connection itself to the core (`acceptWebsocketFd`: the core
// duplicates the descriptor, answers 101 or the refusal, and runs the WebSocket as on its
// own port; Node's socket is then destroyed, which closes only Node's descriptor). Over
// TLS (an https.Server, whose bytes Node's OpenSSL decrypts), on Windows, or whenever the
// descriptor cannot be handed over, the upgrade is decided by the core (`acceptWebsocket`),
// completed by the `ws` package, and its messages cross one by one (`push` in, `host_send`
// out), bounded both ways. Every other request keeps reaching the application's handlers,
// as with engine.io's attach: the 'request' listeners registered before are called for
// other paths, and 'upgrade' events of other paths are left to their listeners (ended after
// `destroyUpgradeTimeout` if nobody answered them).
const { STATUS_CODES } = require('node:http');
const { TLSSocket } = require('node:tls');
const { WebSocketServer } = require('ws');
const rt = require('./runtime');

// Requests and WebSockets waiting for the core, by key (unique across servers: the
// `host_*` events of every server come through one handler).
const pending = new Map();
let nextKey = 1;
function newKey(entry) {
  const key = nextKey++;
  if (nextKey > 0x7fffffff) nextKey = 1;
  pending.set(key, entry);
  return key;
}

// The request as the core takes it; null if its connection is already gone.
function hostRequest(req) {
  const s = req.socket;
  if (!s || s.remoteAddress === undefined) return null;
  return {
    method: req.method,
    url: req.url,
    rawHeaders: req.rawHeaders,
    remoteAddress: s.remoteAddress,
    remotePort: s.remotePort,
    secure: Boolean(s.encrypted),
  };
}

// A native call that threw: what the client is answered.
function failure(e) {
  return e && e.message && e.message.startsWith('ERR_SIO_INVALID_ARGUMENT') ? 400 : 503;
}

// The extra headers of the core's 101 answer, carried on the request to ws's 'headers' event.
const EXTRA = Symbol('sio extra headers');

class Attachment {
  /**
   * @param {import('node:http').Server} httpServer the application's server
   * @param {object} native the NativeServer
   * @param {{ destroyUpgrade?: boolean, destroyUpgradeTimeout?: number }} opts
   */
  constructor(httpServer, native, opts) {
    this.httpServer = httpServer;
    this._native = native;
    this._max = native.maxBody;
    // Messages over maxHttpBufferSize close the connection (1009) in ws already.
    this._wss = new WebSocketServer({ noServer: true, maxPayload: this._max, perMessageDeflate: false, clientTracking: false });
    this._wss.on('headers', (headers, req) => {
      const extra = req[EXTRA];
      if (extra) for (let i = 0; i < extra.length; i += 2) headers.push(`${extra[i]}: ${extra[i + 1]}`);
    });
    const previous = httpServer.listeners('request').slice();
    httpServer.removeAllListeners('request');
    this._onRequest = (req, res) => {
      if (this.matches(req.url)) this._http(req, res);
      else for (const l of previous) l.call(httpServer, req, res);
    };
    const destroyUpgrade = opts.destroyUpgrade !== false;
    const destroyTimeout = opts.destroyUpgradeTimeout === undefined ? 1000 : opts.destroyUpgradeTimeout;
    this._onUpgrade = (req, socket, head) => {
      if (this.matches(req.url)) {
        this._upgrade(req, socket, head);
      } else if (destroyUpgrade) {
        setTimeout(() => {
          if (socket.writable && socket.bytesWritten <= 0) {
            socket.on('error', () => {});
            socket.end();
          }
        }, destroyTimeout);
      }
    };
    httpServer.on('request', this._onRequest);
    httpServer.on('upgrade', this._onUpgrade);
    // How upgrades of the path went (internal, for tests): connections handed to the core,
    // WebSockets whose messages cross through `ws`.
    this.upgrades = { handedOver: 0, viaWs: 0 };
  }

  /** Whether a request URL belongs to the socket.io endpoint (the core's rule). */
  matches(url) {
    const q = (url || '').indexOf('?');
    return this._native.handlesPath(q < 0 ? url || '' : url.slice(0, q));
  }

  // A polling request (or CORS preflight, or a served file): the body, at most one byte
  // over maxHttpBufferSize (the core then answers 413 and closes the session, as on its
  // own port), then the core's answer.
  _http(req, res) {
    const hreq = hostRequest(req);
    if (hreq === null) return;
    const chunks = [];
    let size = 0;
    let over = false;
    const send = () => {
      req.off('data', onData);
      req.off('end', send);
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      const key = newKey({ res, over });
      let call;
      try {
        call = this._native.handleHttp(hreq, body, key);
      } catch (e) {
        pending.delete(key);
        res.writeHead(failure(e)).end();
        return;
      }
      // The client went away before the answer (an aborted long poll): the core drops the
      // request and, for a long poll, ends the session with "transport error", as on its port.
      const cancel = () => {
        if (pending.delete(key)) call.cancel();
      };
      if (res.destroyed) cancel();
      else res.on('close', cancel);
    };
    const onData = (chunk) => {
      if (size + chunk.length > this._max) {
        // Stop reading: the rest of the body is never buffered.
        chunks.push(chunk.subarray(0, this._max + 1 - size));
        size = this._max + 1;
        over = true;
        req.pause();
        send();
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    };
    req.on('data', onData);
    req.on('end', send);
    req.on('error', () => req.off('end', send));
  }

  // A WebSocket upgrade of the path: the core decides first, then ws answers 101.
  _upgrade(req, socket, head) {
    const hreq = hostRequest(req);
    if (hreq === null) return socket.destroy();
    // Until ws takes the socket: an error must not crash the process.
    socket.on('error', () => {});
    if (this._handOver(hreq, socket, head)) {
      this.upgrades.handedOver++;
      return;
    }
    this.upgrades.viaWs++;
    const entry = { ws: null, hs: null, req, socket, head, wss: this._wss, queue: null, closed: false };
    const key = newKey(entry);
    entry.key = key;
    try {
      this._native.acceptWebsocket(hreq, key);
    } catch (e) {
      pending.delete(key);
      const status = failure(e);
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }
  }

  // Plain TCP: the core takes the connection (its own descriptor, a dup of Node's). False
  // if it cannot (TLS, no descriptor, bytes Node already buffered): the ws path then.
  _handOver(hreq, socket, head) {
    if (typeof this._native.acceptWebsocketFd !== 'function' || hreq.secure || socket instanceof TLSSocket) return false;
    const handle = socket._handle;
    if (!handle || typeof handle.fd !== 'number' || handle.fd < 0) return false;
    // Node reads no more from it: every byte past `head` is the core's to read.
    const flowing = socket.readableFlowing;
    socket.pause();
    const reading = handle.reading;
    if (typeof handle.readStop === 'function') {
      handle.reading = false;
      handle.readStop();
    }
    const restore = () => {
      socket.readableFlowing = flowing;
      if (reading && typeof handle.readStart === 'function') {
        handle.reading = true;
        handle.readStart();
      }
      return false;
    };
    if (socket.readableLength !== 0) return restore();
    try {
      this._native.acceptWebsocketFd(hreq, handle.fd, head);
    } catch {
      // Nothing was taken: ws answers (or refuses) as over TLS.
      return restore();
    }
    // Closes Node's descriptor only; the core's keeps the connection.
    socket.destroy();
    return true;
  }

  /** Stops handing over upgrades (sessions end with the native server). */
  close() {
    this.httpServer.off('upgrade', this._onUpgrade);
  }
}

// `host_accept`: complete the upgrade with ws, or write the core's refusal.
function accepted(entry, ev) {
  const { req, socket, head } = entry;
  const hs = ev.hostSocket;
  if (!hs) {
    pending.delete(entry.key);
    if (!socket.writable) return socket.destroy();
    const lines = [`HTTP/1.1 ${ev.status} ${STATUS_CODES[ev.status] || ''}`];
    for (let i = 0; i < ev.headers.length; i += 2) lines.push(`${ev.headers[i]}: ${ev.headers[i + 1]}`);
    lines.push(`Content-Length: ${ev.body.length}`, 'Connection: close');
    socket.end(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), ev.body]), () => socket.destroy());
    return;
  }
  entry.hs = hs;
  entry.req = entry.head = null;
  req[EXTRA] = ev.headers;
  entry.wss.handleUpgrade(req, socket, head, (ws) => {
    entry.ws = ws;
    ws.on('message', (data, isBinary) => incoming(entry, data, isBinary));
    ws.on('close', () => peerClosed(entry));
    ws.on('error', () => peerClosed(entry));
  });
  // Without a verifyClient, ws completes the upgrade synchronously, or refuses it
  // (a malformed request, a socket already closed) without calling back.
  if (entry.ws === null) peerClosed(entry);
  // Even then: the core's messages must flow (and be acknowledged) until its `host_close`.
  hs.ready();
}

// The entry stays until `host_close`: messages still on their way get their credit back.
function peerClosed(entry) {
  if (entry.closed) return;
  entry.closed = true;
  entry.hs.peerClosed();
}

// A message from the peer. While the core is behind (push answered false), the socket is
// paused and what ws had already read waits here until `host_resume`.
function incoming(entry, data, isBinary) {
  if (entry.queue !== null) {
    entry.queue.push(data, isBinary);
    return;
  }
  try {
    if (!entry.hs.push(data, isBinary)) {
      entry.queue = [];
      entry.ws.pause();
    }
  } catch {
    entry.ws.terminate();
  }
}

function resumed(entry) {
  const q = entry.queue;
  entry.queue = null;
  if (entry.closed) return;
  for (let i = 0; i < q.length; i += 2) {
    if (entry.queue !== null) {
      entry.queue.push(q[i], q[i + 1]);
    } else {
      incoming(entry, q[i], q[i + 1]);
    }
  }
  if (entry.queue === null && !entry.closed) entry.ws.resume();
}

rt.setHostHandler((ev) => {
  const entry = pending.get(ev.key);
  if (entry === undefined) return;
  switch (ev.kind) {
    case 'host_send': {
      // Each message written (or dropped by a closing ws) gives the core one more credit.
      const hs = entry.hs;
      if (entry.closed) hs.written(1);
      else entry.ws.send(ev.body, { binary: ev.binary }, () => hs.written(1));
      return;
    }
    case 'host_http': {
      pending.delete(ev.key);
      const { res, over } = entry;
      if (res.destroyed || res.headersSent) return; // the client went away (an aborted long poll)
      if (over) {
        // The rest of the body is never read: the connection ends with this answer.
        res.shouldKeepAlive = false;
        res.on('finish', () => res.req.socket.destroy());
      }
      res.writeHead(ev.status, ev.headers).end(ev.body);
      return;
    }
    case 'host_accept':
      return accepted(entry, ev);
    case 'host_close':
      pending.delete(ev.key);
      if (entry.closed) return;
      try {
        entry.ws.close(ev.status === undefined || ev.status === null ? 1000 : ev.status);
      } catch {
        entry.ws.terminate(); // a code ws does not send (1005, 1006...)
      }
      return;
    case 'host_resume':
      return resumed(entry);
  }
});

module.exports = { Attachment };
