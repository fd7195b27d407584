'use strict';
// `io.engine` and its Engine.IO connections (`socket.conn`), as engine.io's Server and Socket.
const { EventEmitter } = require('node:events');

/** `io.engine`: the Engine.IO connections (`connection` with a conn that emits `upgrade`, `close`). */
class Engine extends EventEmitter {
  constructor() {
    super();
    this.clients = new Map();
  }
  get clientsCount() {
    return this.clients.size;
  }
}

// Events delivered only once somebody listens: each costs a call into JS per packet.
const PER_PACKET = new Set(['packet', 'packetCreate', 'drain']);

/**
 * A server-side Engine.IO connection, as engine.io's `Socket` (`io.engine` `connection`,
 * `socket.conn`): emits `upgrade`, `packet`, `packetCreate`, `drain` and `close`.
 */
class EngineConn extends EventEmitter {
  constructor(server, id, transport) {
    super();
    this.id = id;
    this.transport = { name: transport };
    this.readyState = 'open';
    this.protocol = 4;
    let watched = false;
    this.on('newListener', (ev) => {
      if (!watched && PER_PACKET.has(ev) && this.readyState === 'open') {
        watched = true;
        server._native.watchConn(id);
      }
    });
    this._server = server;
  }
  /** Closes the connection (`forced close`); the client reconnects (`transport close`). */
  close() {
    this._server._native.closeConn(this.id);
    return this;
  }
}

module.exports = { Engine, EngineConn };
