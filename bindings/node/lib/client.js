'use strict';
const { EventEmitter } = require('node:events');
const { encode, decode, checkEvent, splitAck } = require('./codec');
const { SioError, call } = require('./errors');
const rt = require('./runtime');
const { withCatchAll } = require('./catchall');
const { parserName } = require('./parser');

const emitLocal = EventEmitter.prototype.emit;
const TIMEOUT_MSG = 'operation has timed out';

function optMs(opts, name) {
  const v = opts[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0) {
    throw new SioError('ERR_SIO_INVALID_OPTION', `option "${name}" must be a non-negative number`);
  }
  return v === Infinity ? undefined : Math.min(Math.floor(v), 0xffffffff);
}

// socket.io-client's options (its Manager's, engine.io-client's and its Socket's) that this
// client implements; "force new connection" is socket.io-client's old name of forceNew.
const OPTIONS = new Set([
  'path', 'query', 'extraHeaders', 'transports', 'upgrade', 'timestampRequests', 'reconnection', 'reconnectionAttempts',
  'reconnectionDelay', 'reconnectionDelayMax', 'randomizationFactor', 'timeout', 'autoConnect', 'forceNew', 'multiplex',
  'force new connection', 'rejectUnauthorized', 'ca', 'auth', 'retries', 'ackTimeout', 'parser', 'perMessageDeflate',
]);
// The ones it does not implement (ERR_SIO_UNSUPPORTED): silently ignoring them would change
// what the code written for socket.io-client does.
const UNSUPPORTED = {
  host: 'give the server in the URL',
  hostname: 'give the server in the URL',
  port: 'give the server in the URL',
  secure: 'give the scheme in the URL (https:// or wss://)',
  agent: 'the HTTP client is the Rust core\'s',
  forceBase64: 'binary data is always sent as binary',
  timestampParam: 'the cache-busting parameter is always "t"',
  transportImplementations: 'the transports are the Rust core\'s',
  tryAllTransports: 'not implemented',
  rememberUpgrade: 'not implemented',
  requestTimeout: 'not implemented (the `timeout` option bounds the connection)',
  transportOptions: 'not implemented: use `extraHeaders` and `query`',
  pfx: 'client certificates are not supported',
  key: 'client certificates are not supported',
  passphrase: 'client certificates are not supported',
  cert: 'client certificates are not supported',
  ciphers: 'the TLS ciphers are the Rust core\'s',
  withCredentials: 'cookies are not kept',
  closeOnBeforeunload: 'a browser option',
  useNativeTimers: 'the timers are the Rust core\'s',
  autoUnref: 'a connected socket keeps the process alive',
  addTrailingSlash: 'the path always ends with "/"',
  protocols: 'WebSocket subprotocols are not implemented',
};
// Values of those that say what this client does anyway: accepted.
const AS_IS = {
  agent: false,
  forceBase64: false,
  timestampParam: 't',
  tryAllTransports: false,
  rememberUpgrade: false,
  withCredentials: false,
  closeOnBeforeunload: false,
  useNativeTimers: false,
  autoUnref: false,
  addTrailingSlash: true,
};

/** engine.io-client's perMessageDeflate (Node): a boolean, or { threshold } (on); as native options. */
function perMessageDeflate(v) {
  if (typeof v === 'boolean') return { perMessageDeflate: v };
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new SioError('ERR_SIO_INVALID_OPTION', 'option "perMessageDeflate" must be a boolean or { threshold }');
  }
  for (const key of Object.keys(v)) {
    if (key !== 'threshold' && v[key] !== undefined) {
      throw new SioError('ERR_SIO_UNSUPPORTED', `option "perMessageDeflate.${key}" is not supported (only perMessageDeflate.threshold)`);
    }
  }
  const t = v.threshold;
  if (t !== undefined && (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > 0xffffffff)) {
    throw new SioError('ERR_SIO_INVALID_OPTION', 'option "perMessageDeflate.threshold" must be a non-negative integer');
  }
  return { perMessageDeflate: true, perMessageDeflateThreshold: t };
}

/** Throws for an option name socket.io-client does not know, or one this client lacks. */
function checkOptionNames(opts) {
  if (opts == null) return;
  if (typeof opts !== 'object' || Array.isArray(opts)) throw new SioError('ERR_SIO_INVALID_OPTION', 'options must be an object');
  for (const [k, v] of Object.entries(opts)) {
    if (k === 'parser' && v !== undefined) parserName(v); // only socket.io-parser and socket.io-msgpack-parser
    if (k === 'perMessageDeflate' && v !== undefined) perMessageDeflate(v);
    if (v === undefined || OPTIONS.has(k)) continue;
    if (Object.hasOwn(AS_IS, k) && v === AS_IS[k]) continue;
    if (Object.hasOwn(UNSUPPORTED, k)) throw new SioError('ERR_SIO_UNSUPPORTED', `option "${k}" is not supported: ${UNSUPPORTED[k]}`);
    throw new SioError('ERR_SIO_INVALID_OPTION', `unknown option "${k}"`);
  }
}

/**
 * socket.io-client's `details` of a disconnection: for `transport error` an Error
 * (`type` "TransportError", `description`, `context`), for `transport close` a plain
 * `{ description, context }`; undefined for the other reasons.
 */
function disconnectDetails(ev) {
  if (ev.message == null) return undefined;
  const context = ev.context ?? undefined;
  if (ev.reason === 'transport error') {
    return Object.assign(new Error(ev.message), { type: 'TransportError', description: ev.message, context });
  }
  return { description: ev.message, context };
}

function nativeOptions(opts) {
  const out = {
    path: opts.path,
    upgrade: opts.upgrade,
    timestampRequests: opts.timestampRequests,
    reconnection: opts.reconnection,
    reconnectionAttempts: optMs(opts, 'reconnectionAttempts'),
    reconnectionDelay: optMs(opts, 'reconnectionDelay'),
    reconnectionDelayMax: optMs(opts, 'reconnectionDelayMax'),
    timeout: optMs(opts, 'timeout'),
    rejectUnauthorized: opts.rejectUnauthorized,
    ca: opts.ca === undefined ? undefined : String(opts.ca),
    parser: opts.parser === undefined ? undefined : parserName(opts.parser),
  };
  if (opts.perMessageDeflate !== undefined) Object.assign(out, perMessageDeflate(opts.perMessageDeflate));
  if (opts.randomizationFactor !== undefined) {
    const f = opts.randomizationFactor;
    if (typeof f !== 'number' || !(f >= 0 && f <= 1)) {
      throw new SioError('ERR_SIO_INVALID_OPTION', 'option "randomizationFactor" must be between 0 and 1');
    }
    out.randomizationFactor = f;
  }
  if (opts.path !== undefined && (typeof opts.path !== 'string' || !opts.path.startsWith('/'))) {
    throw new SioError('ERR_SIO_INVALID_OPTION', 'option "path" must be a string starting with "/"');
  }
  if (opts.transports !== undefined) {
    if (!Array.isArray(opts.transports) || opts.transports.length === 0 || opts.transports.some((t) => t !== 'polling' && t !== 'websocket')) {
      throw new SioError('ERR_SIO_INVALID_OPTION', 'option "transports" must be a non-empty array of "polling" and "websocket"');
    }
    out.transports = opts.transports;
  }
  const strMap = (name) => {
    const v = opts[name];
    if (v === undefined) return undefined;
    if (typeof v === 'string') return Object.fromEntries(new URLSearchParams(v));
    if (v === null || typeof v !== 'object') throw new SioError('ERR_SIO_INVALID_OPTION', `option "${name}" must be an object`);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
  };
  out.query = strMap('query');
  out.extraHeaders = strMap('extraHeaders');
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

/** The per-namespace part: CONNECT payload (JSON) or an `auth` function, retries, ack timeout. */
function socketOptions(opts) {
  const out = { retries: optMs(opts, 'retries'), ackTimeout: optMs(opts, 'ackTimeout') };
  const auth = opts.auth;
  if (typeof auth === 'function') {
    out.authFn = true; // called before each CONNECT, as socket.io-client does
  } else if (auth !== undefined) {
    if (auth === null || typeof auth !== 'object') throw new SioError('ERR_SIO_INVALID_OPTION', 'option "auth" must be an object or a function');
    out.auth = encode(auth).json;
  }
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

/** The JSON of what an `auth` callback gave (socket.io-client sends no payload for none). */
function authJson(data) {
  return encode(data !== null && typeof data === 'object' ? data : {}).json;
}

/** The JSON of an `auth` object; "null" (no payload, as socket.io-client) for none. */
function staticAuthJson(auth) {
  return auth !== null && typeof auth === 'object' ? encode(auth).json : 'null';
}

function parseUrl(uri) {
  let url;
  try {
    url = new URL(uri);
  } catch {
    throw new SioError('ERR_SIO_INVALID_OPTION', `invalid URL: ${uri}`);
  }
  const proto = { 'ws:': 'http:', 'wss:': 'https:' }[url.protocol] || url.protocol;
  if (proto !== 'http:' && proto !== 'https:') throw new SioError('ERR_SIO_INVALID_OPTION', `unsupported URL scheme: ${url.protocol}`);
  const query = Object.fromEntries(url.searchParams);
  return { origin: `${proto}//${url.host}`, nsp: url.pathname || '/', query };
}

// Engine events delivered only once somebody listens to them: each is a call into JS per packet.
const ENGINE_PER_PACKET = new Set(['packet', 'packetCreate', 'drain']);

/**
 * `socket.io.engine`: the Manager's Engine.IO connection, as engine.io-client's `Socket`.
 * One object for the Manager's life (socket.io-client makes one per connection). `id`,
 * `transport.name` and `readyState` are read from the native manager; `open`, `upgrade`
 * and `close` are watched natively from the first listener on, `packet`, `packetCreate`
 * and `drain` (a call into JS per packet) from the first listener of one of them.
 */
class ClientEngine extends EventEmitter {
  constructor(manager) {
    super();
    this._manager = manager;
    this._watched = 0; // 1: open, upgrade, close; 2: also the packets and drain
    const transports = manager.opts.transports;
    this._first = (Array.isArray(transports) && transports[0]) || 'polling';
    this._transport = { name: this._first };
    this._closed = undefined; // the closed transport's name, while `close` listeners run
    this.on('newListener', (ev) => {
      if (ev === 'newListener' || ev === 'removeListener') return;
      const level = ENGINE_PER_PACKET.has(ev) ? 2 : 1;
      if (level <= this._watched) return;
      if (this._watched === 0) rt.registerEngine(manager._native.key, this);
      this._watched = level;
      manager._native.watchEngine(level === 2);
    });
  }
  /** The Engine.IO session id while the connection is open. */
  get id() {
    return this._manager._native.engineId ?? undefined;
  }
  /**
   * The transport in use (`{ name }`, a new object after an upgrade); before the connection
   * opens (and between reconnections) the one it starts with.
   */
  get transport() {
    const name = this._closed ?? this._manager._native.engineTransport ?? this._first;
    if (this._transport.name !== name) this._transport = { name };
    return this._transport;
  }
  /** `opening` (connecting, or reconnecting), `open` or `closed`. */
  get readyState() {
    if (this._closed !== undefined) return 'closed';
    if (this._manager._native.isOpen) return 'open';
    return Object.values(this._manager.nsps).some((s) => s.active) ? 'opening' : 'closed';
  }
  _setTransport(name) {
    if (name && this._transport.name !== name) this._transport = { name };
  }
  _onNative(ev) {
    switch (ev.name) {
      case 'open':
        this._setTransport(ev.transport);
        this.emit('open');
        break;
      case 'upgrade':
        this._setTransport(ev.transport);
        this.emit('upgrade', this._transport);
        break;
      case 'packet':
      case 'packetCreate': {
        // engine.io-client's shapes: received `{ type, data }` (no data for a bare ping),
        // about to be sent `{ type, data, options }`; binary data as a Buffer.
        const packet = { type: ev.packetType };
        const data = ev.bins && ev.bins.length ? ev.bins[0] : (ev.data ?? undefined);
        if (ev.name === 'packetCreate') {
          packet.data = data;
          packet.options = { compress: true };
        } else if (data !== undefined) {
          packet.data = data;
        }
        this.emit(ev.name, packet);
        break;
      }
      case 'drain':
        this.emit('drain');
        break;
      case 'close':
        // During the listeners the engine reads as engine.io-client's closed one.
        this._closed = this._transport.name;
        try {
          this.emit('close', ev.reason, undefined);
        } finally {
          this._closed = undefined;
        }
        break;
      default:
        break;
    }
  }
}

/** The Manager (`socket.io`): one Engine.IO connection shared by its namespace sockets. */
class Manager extends EventEmitter {
  constructor(uri, opts) {
    super();
    if (uri !== null && typeof uri === 'object') {
      opts = uri;
      uri = undefined;
    }
    if (typeof uri !== 'string') throw new SioError('ERR_SIO_INVALID_OPTION', 'a URL is required');
    checkOptionNames(opts);
    this.opts = { path: '/socket.io', ...(opts || {}) };
    const { origin, query } = parseUrl(uri);
    this.uri = origin;
    this._query = query;
    this._autoConnect = this.opts.autoConnect !== false;
    const native = { ...nativeOptions({ ...this.opts, query: { ...query, ...(this.opts.query || {}) } }) };
    socketOptions(this.opts); // validate now, as socket.io-client does
    this._native = call(() => new rt.native.NativeManager(origin, native));
    this._reconnects = this.opts.reconnection !== false; // what the native manager was given
    this.nsps = {};
    this._held = 0;
    this._engine = new ClientEngine(this);
  }
  /** The Engine.IO connection (engine.io-client's `Socket`), from the start. */
  get engine() {
    return this._engine;
  }
  _hold() {
    if (this._held++ === 0) rt.managers.set(this._native.key, this);
  }
  _unhold(keepRegistered) {
    if (this._held > 0 && --this._held === 0 && !keepRegistered) rt.managers.delete(this._native.key);
  }
  _onNative(ev) {
    switch (ev.kind) {
      case 'reconnect_attempt':
        emitLocal.call(this, 'reconnect_attempt', ev.attempt);
        break;
      case 'reconnect':
        emitLocal.call(this, 'reconnect', ev.attempt);
        break;
      case 'reconnect_error':
        emitLocal.call(this, 'reconnect_error', new Error(ev.message));
        break;
      case 'reconnect_failed':
        // socket.io-client order: the last `reconnect_error` follows `reconnect_failed`,
        // so the manager stays registered (until a socket's disconnect()).
        for (const s of Object.values(this.nsps)) s._unhold(true);
        emitLocal.call(this, 'reconnect_failed');
        break;
      default:
        break;
    }
  }
  // socket.io-client's setters: without an argument the value in force, with one the new
  // value for the native manager from its next attempt on (and `this` to chain).
  reconnection(v) {
    if (v === undefined) return this.opts.reconnection !== false;
    return this._tune({ reconnection: !!v });
  }
  reconnectionAttempts(n) {
    if (n === undefined) return this.opts.reconnectionAttempts ?? Infinity;
    return this._tune({ reconnectionAttempts: n });
  }
  reconnectionDelay(ms) {
    if (ms === undefined) return this.opts.reconnectionDelay ?? 1000;
    return this._tune({ reconnectionDelay: ms });
  }
  reconnectionDelayMax(ms) {
    if (ms === undefined) return this.opts.reconnectionDelayMax ?? 5000;
    return this._tune({ reconnectionDelayMax: ms });
  }
  randomizationFactor(f) {
    if (f === undefined) return this.opts.randomizationFactor ?? 0.5;
    return this._tune({ randomizationFactor: f });
  }
  timeout(ms) {
    if (ms === undefined) return this.opts.timeout ?? 20000;
    return this._tune({ timeout: ms });
  }
  _tune(change) {
    const opts = { ...this.opts, ...change };
    const n = nativeOptions(opts); // the constructor's checks and units
    call(() =>
      this._native.setTuning(
        opts.reconnection !== false,
        n.reconnectionAttempts,
        n.reconnectionDelay ?? 1000,
        n.reconnectionDelayMax ?? 5000,
        n.randomizationFactor ?? 0.5,
        n.timeout ?? 20000,
      ),
    );
    this.opts = opts;
    this._reconnects = opts.reconnection !== false;
    return this;
  }
  socket(nsp, opts) {
    checkOptionNames(opts); // io() with a cached Manager checks its options only here
    if (!nsp.startsWith('/')) nsp = '/' + nsp;
    let s = this.nsps[nsp];
    if (!s) {
      s = new Socket(this, nsp, opts || {});
      this.nsps[nsp] = s;
    }
    return s;
  }
  _destroy(socket) {
    for (const [k, v] of Object.entries(this.nsps)) if (v === socket) delete this.nsps[k];
  }
}

/** A client socket, as socket.io-client's `Socket`. */
class Socket extends EventEmitter {
  constructor(io, nsp, opts) {
    super();
    this.io = io;
    this.nsp = nsp;
    this.id = undefined;
    this.connected = false;
    this.recovered = false;
    this.auth = opts.auth || io.opts.auth;
    this._flags = {};
    this._any = [];
    this._anyOut = [];
    this._held = false;
    this._authRound = 0; // bumped by connect()/disconnect(): a late `auth` callback is ignored
    this._authPending = false; // connecting, before the native connect (auth callback, io())
    const merged = { ...io.opts, ...opts };
    if (this.auth !== undefined) merged.auth = this.auth;
    const so = socketOptions(merged);
    // The payload always comes from JS (`auth` read at each CONNECT, as socket.io-client
    // does): `socket.auth = ..` and an object changed in place reach the next one.
    this._native = call(() => io._native.socket(nsp, undefined, so.retries, so.ackTimeout, true));
    if (io._autoConnect) this._connectSoon();
  }
  // io()'s own connect starts once the code that called io() has run: the native connection
  // needs no JS to open and upgrade, so listeners added right after io() (`socket.io.engine`
  // `open`, `packet`...) would otherwise miss what it did meanwhile. As with engine.io-client,
  // whose events come on a later tick, they see the whole connection.
  _connectSoon() {
    if (typeof this.auth !== 'function') staticAuthJson(this.auth); // throws from io(), as before
    this._hold();
    const round = ++this._authRound;
    this._authPending = true; // active meanwhile
    queueMicrotask(() => {
      if (round === this._authRound) this.connect(); // else disconnect() or connect() since
    });
  }
  get active() {
    return this._authPending || this._native.active;
  }
  // Calls the `auth` function; `done(json)` runs once, with its (possibly late) answer.
  _callAuth(done) {
    let called = false;
    this.auth((data) => {
      if (called) return;
      called = true;
      done(authJson(data));
    });
  }
  get disconnected() {
    return !this.connected;
  }
  get volatile() {
    return this._flagged({ volatile: true });
  }
  // While held, the socket is registered for events and keeps the process alive; once
  // released (inactive), nothing of it stays reachable from the dispatcher.
  _hold() {
    if (!this._held) {
      this._held = true;
      rt.clients.set(this._native.key, this);
      this.io._hold();
      rt.acquire();
    }
  }
  _unhold(keepManager) {
    if (this._held) {
      this._held = false;
      rt.clients.delete(this._native.key);
      this.io._unhold(keepManager);
      rt.release();
    }
  }
  // After a `disconnect`/`connect_error`: released unless something is still pending for
  // it. The state now decides, not the one the event was queued with: disconnect() or
  // connect() may have been called since (e.g. disconnect() while that event was on its
  // way, which finds the native socket already disconnected: no other event follows).
  // `active` alone is not enough: as in socket.io-client it stays true after a transport
  // close, but only a manager with `reconnection` on reconnects by itself.
  _unholdIfInactive() {
    if (this._authPending) return;
    if (!this._native.active || !this.io._reconnects) this._unhold();
  }
  connect() {
    if (this.connected) return this;
    this._hold();
    // A pending auth callback or io() connect is superseded by this one.
    const round = ++this._authRound;
    if (typeof this.auth !== 'function') {
      this._authPending = false;
      const json = staticAuthJson(this.auth);
      call(() => this._native.setAuth(json));
      call(() => this._native.connect());
      return this;
    }
    // The CONNECT payload first: the callback may answer later (a token fetch...).
    this._authPending = true;
    this._callAuth((json) => {
      if (round !== this._authRound) return; // disconnect() or another connect() since
      this._authPending = false;
      call(() => this._native.setAuth(json));
      call(() => this._native.connect());
    });
    return this;
  }
  open() {
    return this.connect();
  }
  disconnect() {
    this._authRound++;
    this._authPending = false;
    if (this.connected) {
      this._native.disconnect(); // the `disconnect` event releases the process
    } else {
      this._native.disconnect();
      this._unhold();
      if (this.io._held === 0) rt.managers.delete(this.io._native.key);
    }
    return this;
  }
  close() {
    return this.disconnect();
  }
  timeout(t) {
    if (typeof t !== 'number' || t < 0) throw new SioError('ERR_SIO_INVALID_ARGUMENT', 'timeout must be a non-negative number');
    return this._flagged({ timeout: Math.floor(t) });
  }
  // socket.io-client's `compress(flag)`: false sends the event as it is with permessage-deflate
  // (events with an acknowledgement are always compressible).
  compress(flag) {
    return this._flagged({ compress: flag !== false });
  }
  _flagged(flags) {
    const f = { ...this._flags, ...flags };
    const socket = this;
    return {
      emit: (...a) => this._emit(f, ...a),
      emitWithAck: (...a) => this._emitWithAck(f, ...a),
      timeout: (t) => this._flagged({ ...f, timeout: t }),
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
  _emit(flags, ev, ...all) {
    const name = checkEvent(ev);
    const [args, ack] = splitAck(all);
    const { json, bins } = encode(args);
    if (!ack) {
      const compress = flags.compress !== false;
      if (flags.volatile) call(() => this._native.emitVolatile(name, json, bins, compress));
      else call(() => this._native.emit(name, json, bins, compress));
      for (const l of this._anyOut.slice()) l(name, ...args);
      return this;
    }
    const timeout = flags.timeout !== undefined ? flags.timeout : this.io.opts.ackTimeout;
    const withErr = timeout !== undefined;
    const key = rt.registerAck((r) => {
      if (r.reason === 'answered') {
        const res = decode(r.json, r.bins) || [];
        if (withErr) ack(null, ...res);
        else ack(...res);
      } else if (withErr) {
        ack(new Error(TIMEOUT_MSG));
      }
    });
    rt.withAck(key, () => call(() => this._native.emitWithAck(name, json, bins, timeout, key, !!flags.volatile)));
    for (const l of this._anyOut.slice()) l(name, ...args);
    return this;
  }
  emitWithAck(ev, ...args) {
    return this._emitWithAck({}, ev, ...args);
  }
  _emitWithAck(flags, ev, ...args) {
    const timeout = flags.timeout !== undefined ? flags.timeout : this.io.opts.ackTimeout;
    return new Promise((resolve, reject) => {
      if (timeout === undefined) this._emit(flags, ev, ...args, (...res) => resolve(res[0]));
      else this._emit({ ...flags, timeout }, ev, ...args, (err, ...res) => (err ? reject(err) : resolve(res[0])));
    });
  }
  _onNative(ev) {
    switch (ev.kind) {
      case 'client_connect':
        this.id = this._native.sid || undefined;
        this.connected = true;
        this.recovered = this._native.recovered;
        emitLocal.call(this, 'connect');
        break;
      case 'client_connect_error': {
        const err = new Error(ev.message);
        if (ev.json !== undefined && ev.json !== null) err.data = (decode(ev.json, ev.bins) || [])[0];
        this._unholdIfInactive();
        emitLocal.call(this, 'connect_error', err);
        break;
      }
      case 'client_disconnect':
        this.connected = false;
        this.id = undefined;
        this._unholdIfInactive();
        emitLocal.call(this, 'disconnect', ev.reason, disconnectDetails(ev));
        break;
      case 'client_auth': {
        // A reconnection: the core waits for the payload of its CONNECT.
        const reply = ev.authReply;
        if (typeof this.auth === 'function') this._callAuth((json) => reply.send(json));
        else reply.send(staticAuthJson(this.auth));
        break;
      }
      case 'client_message': {
        const args = decode(ev.json, ev.bins) || [];
        for (const l of this._any.slice()) l(ev.name, ...args);
        if (ev.clientAck) {
          const a = ev.clientAck;
          args.push((...res) => {
            const { json, bins } = encode(res);
            call(() => a.send(json, bins));
          });
        }
        emitLocal.call(this, ev.name, ...args);
        break;
      }
      default:
        break;
    }
  }
}

const cache = new Map();

/** `io(url, opts)`, as socket.io-client's `lookup`. */
function io(uri, opts) {
  if (uri !== null && typeof uri === 'object') {
    opts = uri;
    uri = undefined;
  }
  opts = opts || {};
  if (typeof uri !== 'string') throw new SioError('ERR_SIO_INVALID_OPTION', 'a URL is required');
  const { origin, nsp } = parseUrl(uri);
  const path = opts.path || '/socket.io';
  const id = origin + path;
  const newConnection = opts.forceNew || opts['force new connection'] || opts.multiplex === false || (cache.has(id) && nsp in cache.get(id).nsps);
  let manager;
  if (newConnection) {
    manager = new Manager(uri, opts);
  } else {
    if (!cache.has(id)) cache.set(id, new Manager(uri, opts));
    manager = cache.get(id);
  }
  return manager.socket(nsp, opts);
}

withCatchAll(Socket);

module.exports = { io, connect: io, Manager, Socket };
