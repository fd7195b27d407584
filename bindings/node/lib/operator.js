'use strict';
// Selections of sockets (`io.to(room)`, `socket.broadcast`: BroadcastOperator) and the
// sockets `fetchSockets()` returns (RemoteSocket), as in socket.io.
const { encode, decode, checkEvent, splitAck } = require('./codec');
const { SioError, call } = require('./errors');
const rt = require('./runtime');
const { ms } = require('./options');

const TIMEOUT_MSG = 'operation has timed out';

function roomList(room) {
  const list = Array.isArray(room) ? room : [room];
  for (const r of list) {
    if (typeof r !== 'string' && typeof r !== 'number') throw new SioError('ERR_SIO_INVALID_ARGUMENT', 'a room must be a string');
  }
  return list.map(String);
}

/** `io.to(...)`, `socket.broadcast`...: a selection of sockets of one namespace. */
class BroadcastOperator {
  constructor(nsp, rooms = new Set(), exceptRooms = new Set(), flags = {}) {
    this._nsp = nsp;
    this._rooms = rooms;
    this._except = exceptRooms;
    this._flags = flags;
  }
  _with(rooms, except, flags) {
    return new BroadcastOperator(this._nsp, rooms || this._rooms, except || this._except, { ...this._flags, ...flags });
  }
  to(room) {
    return this._with(new Set([...this._rooms, ...roomList(room)]));
  }
  in(room) {
    return this.to(room);
  }
  except(room) {
    return this._with(null, new Set([...this._except, ...roomList(room)]));
  }
  timeout(timeout) {
    return this._with(null, null, { timeout: ms('timeout', timeout) });
  }
  get volatile() {
    return this._with(null, null, { volatile: true });
  }
  get local() {
    return this._with(null, null, { local: true });
  }
  compress(flag) {
    return this._with(null, null, { compress: flag !== false });
  }
  get _sel() {
    return [this._nsp.name, [...this._rooms], [...this._except]];
  }
  emit(ev, ...all) {
    const name = checkEvent(ev);
    const [args, ack] = splitAck(all);
    const { json, bins } = encode(args);
    const srv = this._nsp.server._native;
    if (!ack) {
      call(() => srv.broadcast(...this._sel, !!this._flags.volatile, !!this._flags.local, name, json, bins, this._flags.compress !== false));
      return true;
    }
    const key = rt.registerAck((r) => {
      const responses = (decode(r.json, r.bins) || []).map((a) => a[0]);
      if (r.reason === 'answered') ack(null, responses);
      else ack(new Error(TIMEOUT_MSG), responses);
    });
    rt.withAck(key, () => call(() => srv.broadcastWithAck(...this._sel, name, json, bins, this._flags.timeout, key)));
    return true;
  }
  emitWithAck(ev, ...args) {
    return new Promise((resolve, reject) => {
      this.emit(ev, ...args, (err, responses) => (err ? reject(err) : resolve(responses)));
    });
  }
  _targets() {
    const ids = this._nsp.server._native.select(...this._sel);
    return ids.map((id) => this._nsp.server._sockets.get(id)).filter(Boolean);
  }
  fetchSockets() {
    const local = this._targets().map((s) => new RemoteSocket(s));
    const server = this._nsp.server;
    if (!server._cluster) return Promise.resolve(local);
    // Every data edit of a local socket must be visible to the other nodes first.
    for (const s of server._sockets.values()) s._syncData();
    return new Promise((resolve) => {
      const key = rt.registerAck((r) => {
        const [remote] = decode(r.json, r.bins) || [[]];
        resolve([...local, ...remote.map((info) => new RemoteSocket(null, info, this._nsp))]);
      });
      call(() => server._native.fetchRemoteSockets(...this._sel, key));
    });
  }
  socketsJoin(room) {
    this._nsp.server._native.socketsJoin(...this._sel, roomList(room));
  }
  socketsLeave(room) {
    this._nsp.server._native.socketsLeave(...this._sel, roomList(room));
  }
  disconnectSockets(close = false) {
    this._nsp.server._native.disconnectSockets(...this._sel, !!close);
  }
}

/** What `fetchSockets()` returns: a local socket, or one another node of the cluster described. */
class RemoteSocket {
  constructor(s, info, nsp) {
    this._s = s;
    this.id = s ? s.id : info.id;
    this.handshake = s ? s.handshake : info.handshake;
    this.rooms = s ? s.rooms : new Set(info.rooms);
    this.data = s ? s.data : info.data;
    // A socket on another node is reached through its own room, across the cluster.
    this._op = s ? null : new BroadcastOperator(nsp).to(this.id);
  }
  emit(ev, ...args) {
    return this._s ? this._s.emit(ev, ...args) : this._op.emit(ev, ...args);
  }
  join(room) {
    return this._s ? this._s.join(room) : this._op.socketsJoin(room);
  }
  leave(room) {
    return this._s ? this._s.leave(room) : this._op.socketsLeave(room);
  }
  disconnect(close = false) {
    if (this._s) this._s.disconnect(close);
    else this._op.disconnectSockets(close);
    return this;
  }
}

module.exports = { BroadcastOperator, RemoteSocket, roomList, TIMEOUT_MSG };
