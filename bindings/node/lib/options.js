'use strict';
const { RedisAdapter } = require('./adapter');
// Server options and attach() arguments, checked and turned into the native options.
const { SioError } = require('./errors');

function ms(name, v) {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 0xffffffff) {
    throw new SioError('ERR_SIO_INVALID_OPTION', `option "${name}" must be a non-negative number of milliseconds`);
  }
  return Math.floor(v);
}

function nativeOptions(opts) {
  if (opts == null) return {};
  if (typeof opts !== 'object') throw new SioError('ERR_SIO_INVALID_OPTION', 'options must be an object');
  const out = {
    pingInterval: ms('pingInterval', opts.pingInterval),
    pingTimeout: ms('pingTimeout', opts.pingTimeout),
    upgradeTimeout: ms('upgradeTimeout', opts.upgradeTimeout),
    maxHttpBufferSize: ms('maxHttpBufferSize', opts.maxHttpBufferSize),
    connectTimeout: ms('connectTimeout', opts.connectTimeout),
  };
  if (opts.path !== undefined) {
    if (typeof opts.path !== 'string' || !opts.path.startsWith('/')) {
      throw new SioError('ERR_SIO_INVALID_OPTION', 'option "path" must be a string starting with "/"');
    }
    out.path = opts.path;
  }
  if (opts.transports !== undefined) {
    if (!Array.isArray(opts.transports) || opts.transports.some((t) => t !== 'polling' && t !== 'websocket')) {
      throw new SioError('ERR_SIO_INVALID_OPTION', 'option "transports" must be an array of "polling" and "websocket"');
    }
    out.transports = opts.transports;
  }
  if (opts.adapter !== undefined) {
    if (!(opts.adapter instanceof RedisAdapter)) throw unsupportedAdapter();
    out.clusterUrl = opts.adapter.url;
  }
  if (opts.cors !== undefined && opts.cors !== null) {
    const c = opts.cors;
    if (typeof c !== 'object') throw new SioError('ERR_SIO_INVALID_OPTION', 'option "cors" must be an object');
    const o = c.origin === undefined || c.origin === true ? '*' : c.origin;
    const list = Array.isArray(o) ? o : [o];
    if (list.some((x) => typeof x !== 'string')) {
      throw new SioError('ERR_SIO_UNSUPPORTED', 'option "cors.origin" must be "*", true, a string or an array of strings');
    }
    out.corsOrigin = list;
    if (c.credentials !== undefined) out.corsCredentials = !!c.credentials;
  }
  const rec = opts.connectionStateRecovery;
  if (rec) {
    out.recovery = true;
    out.maxDisconnectionDuration = ms('connectionStateRecovery.maxDisconnectionDuration', rec.maxDisconnectionDuration);
    if (rec.skipMiddlewares !== undefined) out.skipMiddlewares = !!rec.skipMiddlewares;
  }
  return out;
}

// Another package's adapter (a JS object driving socket.io's internals) cannot drive the
// Rust core: clusters go through this package's RedisAdapter, which speaks the wire
// format of @socket.io/redis-adapter.
function unsupportedAdapter() {
  return new SioError(
    'ERR_SIO_UNSUPPORTED_ADAPTER',
    'option "adapter": only this package\'s RedisAdapter is supported (new RedisAdapter("redis://...")); leave it unset for the built-in in-memory adapter',
  );
}

function checkAttachable(srv) {
  if (typeof srv === 'function') {
    throw new SioError('ERR_SIO_INVALID_ARGUMENT', 'attach() takes a port or an http.Server, not a request handler (an express app?): pass http.createServer(app)');
  }
  if (typeof srv === 'string' && /^\d+$/.test(srv)) srv = Number(srv);
  if (typeof srv === 'number') {
    if (!Number.isInteger(srv) || srv < 0 || srv > 65535) throw new SioError('ERR_SIO_INVALID_ARGUMENT', 'port must be an integer between 0 and 65535');
    return;
  }
  if (srv === null || typeof srv !== 'object' || typeof srv.on !== 'function' || typeof srv.listeners !== 'function') {
    throw new SioError('ERR_SIO_INVALID_ARGUMENT', 'attach() takes a port or an http.Server');
  }
}

module.exports = { ms, nativeOptions, unsupportedAdapter, checkAttachable };
