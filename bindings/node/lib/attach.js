'use strict';
// `new Server(httpServer)` / `io.attach(httpServer)`: the Rust server serves a loopback
// port, and the application's http.Server forwards the requests and WebSocket upgrades
// of the socket.io path to it. Every other request keeps reaching the application's
// handlers, as with engine.io's attach: the 'request' listeners registered before are
// called for other paths, and 'upgrade' events of other paths are left to their
// listeners (and ended after `destroyUpgradeTimeout` if nobody answered them).
const http = require('node:http');
const net = require('node:net');
const crypto = require('node:crypto');
const { call } = require('./errors');

// The client's address and a per-server secret: the loopback port serves nobody else.
const FORWARDED = 'x-sio-forwarded';
// Headers that describe one hop, not the request: each side sets its own.
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', FORWARDED]);

class Forwarder {
  /**
   * @param {http.Server} httpServer the application's server
   * @param {object} native the NativeServer
   * @param {string} path the socket.io path (`/socket.io`)
   * @param {{ destroyUpgrade?: boolean, destroyUpgradeTimeout?: number }} opts
   */
  constructor(httpServer, native, path, opts) {
    this.httpServer = httpServer;
    this._token = crypto.randomBytes(16).toString('hex');
    this._port = call(() => native.listenForwarded(this._token));
    this._base = path.replace(/\/+$/, '');
    this._agent = new http.Agent({ keepAlive: true });
    const previous = httpServer.listeners('request').slice();
    httpServer.removeAllListeners('request');
    this._onRequest = (req, res) => {
      if (this.matches(req.url)) this._forward(req, res);
      else for (const l of previous) l.call(httpServer, req, res);
    };
    const destroyUpgrade = opts.destroyUpgrade !== false;
    const destroyTimeout = opts.destroyUpgradeTimeout === undefined ? 1000 : opts.destroyUpgradeTimeout;
    this._onUpgrade = (req, socket, head) => {
      if (this.matches(req.url)) {
        this._tunnel(req, socket, head);
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
  }

  /** Whether a request URL belongs to the socket.io endpoint (the Rust side's rule). */
  matches(url) {
    const path = (url || '').split('?')[0];
    return path === this._base || path.startsWith(this._base + '/');
  }

  _forwarded(req) {
    return `${this._token} ${req.socket.remoteAddress} ${req.socket.remotePort}`;
  }

  // Polling requests (and CORS preflights): one loopback request each, streamed both ways.
  _forward(req, res) {
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
    headers[FORWARDED] = this._forwarded(req);
    const up = http.request({ host: '127.0.0.1', port: this._port, method: req.method, path: req.url, headers, agent: this._agent });
    up.on('response', (ur) => {
      const out = [];
      for (let i = 0; i < ur.rawHeaders.length; i += 2) {
        if (!HOP.has(ur.rawHeaders[i].toLowerCase())) out.push(ur.rawHeaders[i], ur.rawHeaders[i + 1]);
      }
      res.writeHead(ur.statusCode, out);
      ur.pipe(res);
    });
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    // The client went away before the answer (an aborted long poll): drop the loopback side.
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  }

  // WebSocket upgrades: the request head is written again to a loopback connection,
  // then the two sockets are piped into each other.
  _tunnel(req, socket, head) {
    const up = net.connect(this._port, '127.0.0.1');
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i].toLowerCase() !== FORWARDED) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    }
    lines.push(`${FORWARDED}: ${this._forwarded(req)}`);
    up.setNoDelay(true);
    socket.setNoDelay(true);
    up.write(lines.join('\r\n') + '\r\n\r\n');
    if (head && head.length) up.write(head);
    const drop = () => {
      up.destroy();
      socket.destroy();
    };
    up.on('error', drop);
    socket.on('error', drop);
    up.on('close', drop);
    socket.on('close', drop);
    up.pipe(socket);
    socket.pipe(up);
  }

  /** Stops forwarding (the loopback listener stops with the native server). */
  close() {
    this.httpServer.off('upgrade', this._onUpgrade);
    this._agent.destroy();
  }
}

module.exports = { Forwarder };
