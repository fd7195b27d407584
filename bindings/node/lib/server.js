'use strict';
const { EventEmitter } = require('node:events');
const tls = require('node:tls');
const { encode, decode, checkEvent, splitAck } = require('./codec');
const { SioError, call, fromNative } = require('./errors');
const rt = require('./runtime');
const { withCatchAll } = require('./catchall');
const { Attachment } = require('./attach');
const { clientFiles } = require('./client-bundle');
const { Engine, EngineConn } = require('./engine');
const { BroadcastOperator, RemoteSocket, roomList, TIMEOUT_MSG } = require('./operator');
const { ms, nativeOptions, spelledNested, unsupportedAdapter, checkAttachable } = require('./options');

const emitLocal = EventEmitter.prototype.emit;

/** The core's copy of a socket's data (what recovery restored). */
function dataOf(handle) {
  const { json, bins } = handle.data();
  return decode(json, bins);
}

/** A server-side socket, as socket.io's `Socket`. */
class Socket extends EventEmitter {
  constructor(nsp, handle) {
    super();
    this.nsp = nsp;
    this.server = nsp.server;
    this.id = handle.id;
    // A recovered socket gets back the data it had, as in socket.io (its middlewares,
    // when they run, already see it).
    this.data = handle.recovered ? dataOf(handle) : {};
    this.connected = false;
    this._native = handle;
    // The addon's number for this socket once connected (0 before): packed messages name
    // it by that, and answers without buffers go through `ackByKey` with it.
    this._key = 0;
    this._handshake = undefined;
    this._roomsAfterClose = null;
    this._fns = [];
    this._any = [];
    this._anyOut = [];
    this._flags = {};
    this.conn = nsp.server._engineConn(handle.connId, handle.transport);
  }  /** Pushes socket.data to the core when it changed (what other nodes of a cluster see). */
  _syncData() {
    if (!this.connected) return;
    let enc;
    try {
      enc = encode(this.data === undefined ? null : this.data);
    } catch {
      return; // not serialisable: other nodes keep the last value that was
    }
    if (enc.json === this._syncedData && enc.bins.length === 0) return;
    this._syncedData = enc.json;
    try {
      this._native.setData(enc.json, enc.bins);
    } catch {
      /* disconnected meanwhile */
    }
  }

  get handshake() {
    if (!this._handshake) this._handshake = decode(this._native.handshake());
    return this._handshake;
  }
  get rooms() {
    return new Set(this._roomsAfterClose || this._native.rooms());
  }
  get recovered() {
    return this._native.recovered;
  }
  get disconnected() {
    return !this.connected;
  }
  get broadcast() {
    return new BroadcastOperator(this.nsp, new Set(), new Set([this.id]));
  }
  get volatile() {
    return this._flagged({ volatile: true });
  }
  to(room) {
    return this.broadcast.to(room);
  }
  in(room) {
    return this.to(room);
  }
  except(room) {
    return this.broadcast.except(room);
  }
  join(room) {
    this._native.join(roomList(room));
  }
  leave(room) {
    for (const r of roomList(room)) this._native.leave(r);
  }
  timeout(timeout) {
    return this._flagged({ timeout: ms('timeout', timeout) });
  }
  // socket.io's `compress(flag)`: false keeps the event out of permessage-deflate and of
  // the HTTP compression of a polling response holding only such events.
  compress(flag) {
    return this._flagged({ compress: flag !== false });
  }
  _flagged(flags) {
    const f = { ...this._flags, ...flags };
    const socket = this;
    return {
      emit: (...a) => this._emit(f, ...a),
      emitWithAck: (...a) => this._emitWithAck(f, ...a),
      timeout: (t) => this._flagged({ ...f, timeout: ms('timeout', t) }),
      compress: (c) => this._flagged({ ...f, compress: c !== false }),
      // Both flags stay: `socket.timeout(ms).volatile` is volatile and timed.
      get volatile() {
        return socket._flagged({ ...f, volatile: true });
      },
    };
  }
  emit(ev, ...all) {
    // EventEmitter itself emits these (name, listener) when listeners change: they stay
    // local. An explicit emit of these names is still refused as reserved.
    if ((ev === 'newListener' || ev === 'removeListener') && typeof all[1] === 'function') return emitLocal.call(this, ev, ...all);
    return this._emit({}, ev, ...all);
  }
  send(...args) {
    return this.emit('message', ...args);
  }
  write(...args) {
    return this.send(...args);
  }
  _emit(flags, ev, ...all) {
    const name = checkEvent(ev);
    const [args, ack] = splitAck(all);
    const { json, bins } = encode(args);
    if (!ack) {
      call(() => this._native.emit(name, json, bins, !!flags.volatile, flags.compress !== false));
      for (const l of this._anyOut.slice()) l(name, ...args);
      return true;
    }
    const withErr = flags.timeout !== undefined;
    const key = rt.registerAck((r) => {
      if (r.reason === 'answered') {
        const res = decode(r.json, r.bins) || [];
        if (withErr) ack(null, ...res);
        else ack(...res);
      } else if (withErr) {
        ack(new Error(TIMEOUT_MSG));
      }
    });
    rt.withAck(key, () => call(() => this._native.emitWithAck(name, json, bins, flags.timeout, key)));
    for (const l of this._anyOut.slice()) l(name, ...args);
    return true;
  }
  emitWithAck(ev, ...args) {
    return this._emitWithAck({}, ev, ...args);
  }
  _emitWithAck(flags, ev, ...args) {
    const f = { ...flags, timeout: flags.timeout };
    return new Promise((resolve, reject) => {
      if (f.timeout === undefined) {
        this._emit(f, ev, ...args, (...res) => resolve(res[0]));
      } else {
        this._emit(f, ev, ...args, (err, ...res) => (err ? reject(err) : resolve(res[0])));
      }
    });
  }
  use(fn) {
    this._fns.push(fn);
    return this;
  }
  disconnect(close = false) {
    call(() => this._native.disconnect(!!close));
    return this;
  }
  _onMessage(ev) {
    this._onEvent(ev.name, ev.ackId, decode(ev.json, ev.bins) || []);
  }
  /**
   * A packed message `[owner, key, ackId, name, ...args]` (runtime.js). Without `onAny`
   * listeners or `use` middlewares, the row's arguments go to the handlers as they are.
   */
  _onRow(row) {
    if (this._any.length !== 0 || this._fns.length !== 0) {
      this._onEvent(row[3], row[2], row.slice(4));
      return;
    }
    const name = row[3];
    const ack = row[2] == null ? undefined : this._ackFn(row[2]);
    // One handler (the usual case) is called as EventEmitter.emit would call it, without
    // emit's rest array and its table lookup shared by every emitter of the process.
    const handler = this._events[name];
    const direct = typeof handler === 'function' && name !== 'error' && !EventEmitter.captureRejections;
    const fn = direct ? handler : emitLocal;
    switch (row.length) {
      case 4:
        if (direct) {
          if (ack) fn.call(this, ack);
          else fn.call(this);
        } else if (ack) fn.call(this, name, ack);
        else fn.call(this, name);
        return;
      case 5:
        if (direct) {
          if (ack) fn.call(this, row[4], ack);
          else fn.call(this, row[4]);
        } else if (ack) fn.call(this, name, row[4], ack);
        else fn.call(this, name, row[4]);
        return;
      default: {
        const packet = row.slice(direct ? 4 : 3);
        if (ack) packet.push(ack);
        fn.apply(this, packet);
      }
    }
  }
  /** The function a handler calls to answer ack `id` (the first answer wins, as in socket.io). */
  _ackFn(id) {
    const native = this._native;
    const key = this._key;
    let sent = false;
    return (...res) => {
      if (sent) return;
      sent = true;
      const { json, bins } = encode(res);
      try {
        if (bins.length === 0 && key !== 0) rt.ackByKey(key, id, json);
        else native.ack(id, json, bins);
      } catch (e) {
        // As socket.io: answering a client that has gone is a no-op.
        const err = fromNative(e);
        if (err.code !== 'ERR_SIO_DISCONNECTED') throw err;
      }
    };
  }
  /** An event `name` from the client, its arguments `packet` (parsed), answered as `id`. */
  _onEvent(name, ackId, packet) {
    if (this._any.length) for (const l of this._any.slice()) l(name, ...packet);
    packet.unshift(name);
    if (ackId != null) packet.push(this._ackFn(ackId));
    if (this._fns.length === 0) {
      emitLocal.apply(this, packet);
      return;
    }
    const fns = this._fns.slice();
    const run = (i) => {
      if (i === fns.length) {
        emitLocal.apply(this, packet);
        return;
      }
      fns[i](packet, (err) => {
        if (err) {
          emitLocal.call(this, 'error', err);
          return;
        }
        run(i + 1);
      });
    };
    run(0);
  }
}

/** A namespace, as socket.io's `Namespace`. */
class Namespace extends EventEmitter {
  constructor(server, name) {
    super();
    this.server = server;
    this.name = name;
    this.sockets = new Map();
    this._fns = [];
  }
  use(fn) {
    // Dynamic namespaces (and their children) always ask JS: no switch to flip.
    if (this._fns.length === 0 && !this._dynamic) this.server._native.enableMiddleware(this.name);
    this._fns.push(fn);
    return this;
  }
  serverSideEmit(ev, ...all) {
    const name = checkEvent(ev);
    const [args, ack] = splitAck(all);
    const { json, bins } = encode(args);
    if (!ack) {
      call(() => this.server._native.serverSideEmit(this.name, name, json, bins));
      return true;
    }
    // One answer per other server of the cluster (none without an adapter).
    const key = rt.registerAck((r) => {
      const [responses] = decode(r.json, r.bins) || [[]];
      if (r.reason === 'answered') ack(null, responses);
      else ack(new Error(`timeout reached: not every server answered`), responses || []);
    });
    rt.withAck(key, () => call(() => this.server._native.serverSideEmitWithAck(this.name, name, json, bins, key)));
    return true;
  }
  serverSideEmitWithAck(ev, ...args) {
    return new Promise((resolve, reject) => {
      this.serverSideEmit(ev, ...args, (err, responses) => (err ? reject(err) : resolve(responses)));
    });
  }
  _op() {
    return new BroadcastOperator(this);
  }
  to(room) {
    return this._op().to(room);
  }
  in(room) {
    return this._op().to(room);
  }
  except(room) {
    return this._op().except(room);
  }
  timeout(t) {
    return this._op().timeout(t);
  }
  get volatile() {
    return this._op().volatile;
  }
  get local() {
    return this._op().local;
  }
  compress(flag) {
    return this._op().compress(flag);
  }
  emit(ev, ...args) {
    return this._op().emit(ev, ...args);
  }
  send(...args) {
    return this.emit('message', ...args);
  }
  emitWithAck(ev, ...args) {
    return this._op().emitWithAck(ev, ...args);
  }
  fetchSockets() {
    return this._op().fetchSockets();
  }
  socketsJoin(room) {
    return this._op().socketsJoin(room);
  }
  socketsLeave(room) {
    return this._op().socketsLeave(room);
  }
  disconnectSockets(close = false) {
    return this._op().disconnectSockets(close);
  }
}

/** `io.of(regex)` / `io.of(fn)`: children are created when a client asks for a matching name. */
class ParentNamespace extends Namespace {
  constructor(server, name, matcher) {
    super(server, name);
    this._dynamic = true;
    this._matcher = matcher; // null for a regex (matched natively)
    this.children = new Set();
  }
  _child(name) {
    const child = new Namespace(this.server, name);
    child._dynamic = true;
    child._parent = this;
    child._fns = this._fns.slice();
    for (const ev of ['connect', 'connection']) for (const l of this.listeners(ev)) child.on(ev, l);
    this.children.add(child);
    this.server._nsps.set(name, child);
    emitLocal.call(this.server.sockets, 'new_namespace', child);
    return child;
  }
}

/** The server, as socket.io's `Server`. */
class Server extends EventEmitter {
  constructor(srv, opts) {
    super();
    if (srv !== null && typeof srv === 'object' && typeof srv.listen !== 'function') {
      opts = srv;
      srv = undefined;
    }
    const native = nativeOptions(opts);
    if (srv === null) srv = undefined;
    // https.Server: `handshake.secure` (unless the options say otherwise).
    if (srv instanceof tls.Server && !native.some((o) => o.name === 'secure')) native.push({ name: 'secure', value: true });
    if (srv !== undefined) checkAttachable(srv);
    try {
      this._native = call(() => new rt.native.NativeServer(native));
    } catch (e) {
      throw spelledNested(e);
    }
    // In a cluster, other nodes read socket.data from the core: keep it in sync.
    this._cluster = native.some((o) => o.name === 'clusterUrl');
    // With recovery, the core keeps socket.data for the session: synced at disconnection.
    this._recovery = native.some((o) => o.name === 'recovery');
    // engine.io's attach options, also taken by the constructor (as in socket.io).
    this._attachOpts = {};
    for (const k of ['destroyUpgrade', 'destroyUpgradeTimeout']) if (opts && opts[k] !== undefined) this._attachOpts[k] = opts[k];
    this._path = (opts && opts.path) || '/socket.io';
    this._sockets = new Map();
    // Connected sockets by the number the addon gives each (see `Socket._key`).
    this._byKey = new Map();
    this._nsps = new Map();
    this._parents = new Map();
    this._nextParent = 0;
    this.engine = new Engine();
    this._port = undefined;
    this._attached = null;
    this._held = false;
    this._closed = null;
    rt.servers.set(this._native.id, this);
    this.sockets = this.of('/');
    this._serveClient = !(opts && opts.serveClient === false);
    if (srv !== undefined) this.attach(srv);
  }
  /**
   * `serveClient(v)`: serve the browser client at `<path>/socket.io.js` (and `.min.js`,
   * `.msgpack.min.js`, `.esm.min.js`, their maps) from the socket.io-client package, as
   * socket.io does by default. As there, it is read when the server listens or attaches.
   * Without an argument: the setting.
   */
  serveClient(v) {
    if (v === undefined) return this._serveClient;
    this._serveClient = Boolean(v);
    return this;
  }
  /** The attached http.Server, or (on its own port) an object whose address() gives the port. */
  get httpServer() {
    if (this._attached) return this._attached.httpServer;
    const port = this._port;
    return port === undefined ? undefined : { address: () => ({ address: '0.0.0.0', family: 'IPv4', port }) };
  }
  /** `listen(port)`: serve on a port of its own; `listen(httpServer)`: same as attach. */
  listen(srv = 3000, opts) {
    return this.attach(srv, opts);
  }
  attach(srv, opts) {
    checkAttachable(srv);
    if (this._port !== undefined || this._attached) {
      throw new SioError('ERR_SIO_ALREADY_LISTENING', 'the server is already listening');
    }
    if (this._serveClient) {
      const base = this._path.replace(/\/+$/, '');
      for (const f of clientFiles()) this._native.serveFile(`${base}/${f.name}`, f.type, f.body);
    }
    if (typeof srv === 'string') srv = Number(srv);
    if (typeof srv !== 'number') {
      this._attach(srv, { ...this._attachOpts, ...opts });
      return this;
    }
    if (opts !== undefined) throw new SioError('ERR_SIO_INVALID_OPTION', 'pass the server options to the constructor');
    this._port = call(() => this._native.listen(`0.0.0.0:${srv}`));
    this._held = true; // the listener is in Rust: nothing else keeps the process alive
    rt.acquire();
    return this;
  }
  _attach(httpServer, opts) {
    for (const k of Object.keys(opts)) {
      if (k !== 'destroyUpgrade' && k !== 'destroyUpgradeTimeout') {
        throw new SioError('ERR_SIO_INVALID_OPTION', `attach(): option "${k}" belongs in the constructor's options`);
      }
    }
    ms('destroyUpgradeTimeout', opts.destroyUpgradeTimeout);
    this._attached = new Attachment(httpServer, this._native, opts);
    // As engine.io: the http.Server closing closes this server.
    httpServer.once('close', () => this.close());
  }
  /** The adapter is chosen in the constructor's options (see README, "Adapters"). */
  adapter(v) {
    if (arguments.length === 0) return undefined;
    if (v !== undefined) throw unsupportedAdapter();
    return this;
  }
  of(name, fn) {
    if (name instanceof RegExp || typeof name === 'function') {
      const id = `/_${this._nextParent++}`;
      let pattern = null;
      if (name instanceof RegExp) {
        if (/[^i]/.test(name.flags.replace(/[gsuy]/g, ''))) {
          throw new SioError('ERR_SIO_UNSUPPORTED', `regular expression flags "${name.flags}" are not supported`);
        }
        pattern = (name.flags.includes('i') ? '(?i)' : '') + name.source;
      }
      const parent = new ParentNamespace(this, id, pattern === null ? name : null);
      call(() => this._native.namespaceDynamic(id, pattern));
      this._parents.set(id, parent);
      if (typeof fn === 'function') parent.on('connection', fn);
      return parent;
    }
    if (typeof name !== 'string') throw new SioError('ERR_SIO_INVALID_ARGUMENT', 'a namespace is a string, a RegExp or a function');
    if (!name.startsWith('/')) name = '/' + name;
    let nsp = this._nsps.get(name);
    if (!nsp) {
      nsp = new Namespace(this, name);
      this._nsps.set(name, nsp);
      // `/` always forwards its events, and is created before anyone could listen.
      if (name !== '/') {
        this._native.namespace(name);
        emitLocal.call(this.sockets, 'new_namespace', nsp);
      }
    }
    if (typeof fn === 'function') nsp.on('connection', fn);
    return nsp;
  }
  use(fn) {
    this.sockets.use(fn);
    return this;
  }
  to(room) {
    return this.sockets.to(room);
  }
  in(room) {
    return this.sockets.to(room);
  }
  except(room) {
    return this.sockets.except(room);
  }
  timeout(t) {
    return this.sockets.timeout(t);
  }
  get volatile() {
    return this.sockets.volatile;
  }
  get local() {
    return this.sockets.local;
  }
  compress(flag) {
    return this.sockets.compress(flag);
  }
  emit(ev, ...args) {
    return this.sockets.emit(ev, ...args);
  }
  send(...args) {
    return this.sockets.send(...args);
  }
  emitWithAck(ev, ...args) {
    return this.sockets.emitWithAck(ev, ...args);
  }
  /** How many servers the cluster has (1 without an adapter), as adapter.serverCount(). */
  serverCount() {
    return new Promise((resolve) => {
      const key = rt.registerAck((r) => resolve((decode(r.json, r.bins) || [1])[0]));
      call(() => this._native.serverCount(key));
    });
  }
  fetchSockets() {
    return this.sockets.fetchSockets();
  }
  serverSideEmit(ev, ...args) {
    return this.sockets.serverSideEmit(ev, ...args);
  }
  serverSideEmitWithAck(ev, ...args) {
    return this.sockets.serverSideEmitWithAck(ev, ...args);
  }
  socketsJoin(room) {
    return this.sockets.socketsJoin(room);
  }
  socketsLeave(room) {
    return this.sockets.socketsLeave(room);
  }
  disconnectSockets(close = false) {
    return this.sockets.disconnectSockets(close);
  }
  /**
   * Disconnects every socket (`server shutting down`) and stops serving; an attached
   * http.Server is closed too, as socket.io does (`fn` gets its close error, if any).
   */
  close(fn) {
    const first = !this._closed;
    if (first) {
      this._closed = new Promise((resolve) => {
        this._onClosed = resolve;
      });
      call(() => this._native.close());
      // Until `closed` arrives (events alone do not keep the process alive).
      rt.acquire();
    }
    const http = this._attached && this._attached.httpServer;
    if (first && http) {
      this._attached.close();
      this._closed.then(() => {
        if (http.listening) http.close((err) => typeof fn === 'function' && fn(err));
        else if (typeof fn === 'function') fn();
      });
    } else if (typeof fn === 'function') {
      this._closed.then(() => fn());
    }
    return this._closed;
  }
  _engineConn(id, transport) {
    return this.engine.clients.get(id) || new EngineConn(this, id, transport);
  }
  _socket(nsp, handle) {
    let s = this._sockets.get(handle.id);
    if (!s) {
      s = new Socket(nsp, handle);
      this._sockets.set(handle.id, s);
    }
    return s;
  }
  _childFor(parentName, name) {
    const existing = this._nsps.get(name);
    if (existing) return existing;
    return this._parents.get(parentName)._child(name);
  }
  // A connection to a child of a dynamic namespace: the child exists (the regex or
  // the matcher function accepted the name), its middlewares decide.
  _dynamicMiddleware(ev) {
    const parent = this._parents.get(ev.parent);
    if (!parent) return ev.decision.refuse('Invalid namespace');
    const name = ev.socket.nsp;
    this._runMiddlewares(this._nsps.get(name) || parent._child(name), ev.socket, ev.decision);
  }
  // Does namespace `ev.name` exist for the matcher of `ev.parent`? The core waits for
  // `next(err, ok)`; the child is created only if it answers ok, as in socket.io.
  _match(ev) {
    const parent = this._parents.get(ev.parent);
    const reply = ev.matchReply;
    if (!parent || !parent._matcher) return reply.send(false);
    let auth;
    try {
      auth = decode(ev.json, ev.bins);
    } catch {
      auth = undefined;
    }
    if (auth === null || typeof auth !== 'object') auth = {};
    let done = false;
    const next = (err, ok) => {
      if (done) return;
      done = true;
      reply.send(!err && !!ok);
    };
    try {
      parent._matcher(ev.name, auth, next);
    } catch (e) {
      next(e);
      throw e;
    }
  }
  _runMiddlewares(nsp, handle, decision) {
    const s = this._socket(nsp, handle);
    const fns = nsp._fns.slice();
    const run = (i) => {
      if (i === fns.length) return decision.accept();
      let done = false;
      fns[i](s, (err) => {
        if (done) return;
        done = true;
        if (err) {
          this._sockets.delete(s.id);
          const msg = err instanceof Error ? err.message : String(err);
          if (err.data === undefined) decision.refuse(msg);
          else {
            const { json, bins } = encode(err.data);
            decision.refuse(msg, json, bins);
          }
          return;
        }
        run(i + 1);
      });
    };
    try {
      run(0);
    } catch (e) {
      decision.refuse(e && e.message ? e.message : String(e));
      throw e;
    }
  }
  /** A message without buffers, packed by the addon: [owner, socket number, name, ack id, arguments]. */
  _onPacked(row) {
    const s = this._byKey.get(row[1]);
    if (!s) return;
    s._onRow(row);
    if (this._cluster) s._syncData();
  }
  _onNative(ev) {
    switch (ev.kind) {
      case 'middleware': {
        const decision = ev.decision;
        if (ev.parent != null) {
          this._dynamicMiddleware(ev);
          break;
        }
        const nsp = this.of(ev.socket.nsp);
        this._runMiddlewares(nsp, ev.socket, decision);
        break;
      }
      case 'connection': {
        const nsp = ev.parent != null ? this._childFor(ev.parent, ev.socket.nsp) : this.of(ev.socket.nsp);
        const s = this._socket(nsp, ev.socket);
        s.connected = true;
        // The number its packed messages name it by (runtime.js) and text answers use.
        s._key = ev.socket.key;
        if (s._key !== 0) this._byKey.set(s._key, s);
        nsp.sockets.set(s.id, s);
        emitLocal.call(nsp, 'connection', s);
        emitLocal.call(nsp, 'connect', s);
        if (this._cluster) s._syncData();
        break;
      }
      case 'match':
        this._match(ev);
        break;
      case 'server_side': {
        // `io.of(nsp).on(name, (...args[, callback]))` (`io.on` for `/`), as socket.io
        // delivers `io.of(nsp).serverSideEmit` from the other nodes.
        const nsp = this._nsps.get(ev.nsp);
        if (!nsp) break;
        const args = decode(ev.json, ev.bins) || [];
        const reply = ev.serverSideAck;
        if (reply) {
          args.push((...answer) => {
            const { json, bins } = encode(answer);
            reply.send(json, bins);
          });
        }
        emitLocal.call(nsp, ev.name, ...args);
        break;
      }
      case 'engine_connection': {
        const conn = new EngineConn(this, ev.sid, ev.name);
        this.engine.clients.set(conn.id, conn);
        emitLocal.call(this.engine, 'connection', conn);
        break;
      }
      case 'upgrade': {
        const conn = this.engine.clients.get(ev.sid);
        if (!conn) break;
        conn.transport = { name: ev.name };
        emitLocal.call(conn, 'upgrade', conn.transport);
        break;
      }
      case 'conn_event': {
        const conn = this.engine.clients.get(ev.sid);
        if (!conn) break;
        if (ev.name === 'drain') {
          conn.emit('drain');
          break;
        }
        // engine.io's packet shape: `{ type, data }`, data a string or a Buffer; what it
        // sends carries its send options (compression is always allowed here).
        const packet = { type: ev.packetType };
        if (ev.bins && ev.bins.length) packet.data = ev.bins[0];
        else if (ev.data != null) packet.data = ev.data;
        if (ev.name === 'packetCreate') packet.options = { compress: true };
        conn.emit(ev.name, packet);
        break;
      }
      case 'engine_close': {
        const conn = this.engine.clients.get(ev.sid);
        if (!conn) break;
        this.engine.clients.delete(ev.sid);
        conn.readyState = 'closed';
        emitLocal.call(conn, 'close', ev.reason);
        break;
      }
      case 'message': {
        // A message with buffers (those without come packed: `_onPacked`).
        const s = this._sockets.get(ev.sid);
        if (s) s._onMessage(ev);
        if (s && this._cluster) s._syncData();
        break;
      }
      case 'disconnecting': {
        const s = this._sockets.get(ev.sid);
        if (!s) {
          ev.leaving.release();
          break;
        }
        s._roomsAfterClose = ev.rooms;
        try {
          emitLocal.call(s, 'disconnecting', ev.reason);
        } finally {
          // The core keeps the session for recovery once released: give it socket.data
          // as the handlers left it (socket.io keeps it after `disconnecting` too).
          if (this._recovery) s._syncData();
          ev.leaving.release(); // the socket leaves its rooms only now, as in socket.io
        }
        break;
      }
      case 'disconnect': {
        const s = this._sockets.get(ev.sid);
        if (!s) break;
        s.connected = false;
        s._roomsAfterClose = [];
        this._sockets.delete(s.id);
        this._byKey.delete(s._key);
        s.nsp.sockets.delete(s.id);
        emitLocal.call(s, 'disconnect', ev.reason);
        break;
      }
      case 'closed': {
        rt.servers.delete(this._native.id);
        if (this._held) {
          this._held = false;
          rt.release();
        }
        rt.release(); // close()'s
        if (this._onClosed) this._onClosed();
        break;
      }
      default:
        break;
    }
  }
}

// As socket.io: every EventEmitter method of the server is the main namespace's
// (`io.on(ev, fn)` is `io.of('/').on(ev, fn)`), where connections, `new_namespace` and
// server-side events arrive. `emit` broadcasts (above). What chains returns the server.
for (const fn of Object.keys(EventEmitter.prototype)) {
  if (typeof EventEmitter.prototype[fn] !== 'function' || fn === 'emit') continue;
  Server.prototype[fn] = function (...args) {
    const r = this.sockets[fn](...args);
    return r === this.sockets ? this : r;
  };
}

withCatchAll(Socket);

module.exports = { Server, Namespace, ParentNamespace, Socket, BroadcastOperator, RemoteSocket, Engine, EngineConn };
