'use strict';
const { RedisAdapter } = require('./adapter');
// Server options and attach() arguments, checked and turned into the native options.
const { SioError } = require('./errors');
const { parserName } = require('./parser');

function ms(name, v) {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 0xffffffff) {
    throw new SioError('ERR_SIO_INVALID_OPTION', `option "${name}" must be a non-negative number of milliseconds`);
  }
  return Math.floor(v);
}

// The server options are the core's table (sio_core::embed::ServerOptions): every
// camelCase name of it is passed through as it is (`maxHeaderSize` → `max_header_size`),
// with its value; the core checks values and combinations and keeps the defaults. Only
// socket.io's nested options (cors, connectionStateRecovery, adapter) are flattened here.
let coreNames = null;
function coreOptionNames() {
  if (!coreNames) {
    const { serverOptionNames } = require('./addon');
    coreNames = new Set(serverOptionNames().map((n) => n.replace(/_([a-z])/g, (_, c) => c.toUpperCase())));
  }
  return coreNames;
}

// Core names that socket.io spells as a nested option: only that spelling is accepted.
const NESTED = {
  corsOrigin: 'cors.origin',
  corsCredentials: 'cors.credentials',
  recovery: 'connectionStateRecovery',
  maxDisconnectionDuration: 'connectionStateRecovery.maxDisconnectionDuration',
  skipMiddlewares: 'connectionStateRecovery.skipMiddlewares',
  clusterUrl: 'adapter',
  clusterAdapter: 'adapter.kind',
  tlsCert: 'tls.cert',
  tlsKey: 'tls.key',
  cookiePath: 'cookie.path',
  cookieHttpOnly: 'cookie.httpOnly',
  cookieSameSite: 'cookie.sameSite',
  cookieSecure: 'cookie.secure',
  cookieDomain: 'cookie.domain',
  cookieMaxAge: 'cookie.maxAge',
  allowEio3: 'allowEIO3',
  compressionThreshold: 'httpCompression.threshold',
  perMessageDeflateThreshold: 'perMessageDeflate.threshold',
};

// Options of the JS wrapper itself (attach options are also taken by the constructor, as in socket.io).
const WRAPPER = new Set(['serveClient', 'adapter', 'cors', 'connectionStateRecovery', 'tls', 'cookie', 'destroyUpgrade', 'destroyUpgradeTimeout']);

// socket.io / engine.io options this addon does not have (ERR_SIO_UNSUPPORTED). Those in
// AS_IS are accepted with the value that says what this addon does anyway.
const UNSUPPORTED = {
  allowRequest: 'a JS function cannot decide handshakes in the Rust core: use io.use() middlewares',
  wsEngine: 'the WebSocket server is the Rust core\'s',
  initialPacket: 'not implemented',
  cleanupEmptyChildNamespaces: 'child namespaces are kept',
  addTrailingSlash: 'the path always ends with "/"',
};
const AS_IS = {
  cleanupEmptyChildNamespaces: false,
  addTrailingSlash: true,
};

function invalid(message) {
  return new SioError('ERR_SIO_INVALID_OPTION', message);
}

/** One option for the native side: `name` a core name (camelCase), `spelled` the user's. */
function entry(name, value, spelled = name) {
  if (Array.isArray(value)) {
    if (!value.every((x) => typeof x === 'string')) throw invalid(`option "${spelled}" must be an array of strings`);
  } else if (typeof value !== 'boolean' && typeof value !== 'number' && typeof value !== 'string') {
    throw invalid(`option "${spelled}" must be a boolean, a number, a string or an array of strings`);
  }
  return spelled === name ? { name, value } : { name, value, spelled };
}

/**
 * socket.io's server options as a list of core options (`{ name, value, spelled? }`, ms
 * for durations). Throws ERR_SIO_UNSUPPORTED for socket.io options this addon does not
 * have and ERR_SIO_INVALID_OPTION for unknown names and bad values (checked by the core).
 */
function nativeOptions(opts) {
  if (opts == null) return [];
  if (typeof opts !== 'object' || Array.isArray(opts)) throw invalid('options must be an object');
  const out = [];
  const names = coreOptionNames();
  for (const [k, v] of Object.entries(opts)) {
    if (v === undefined || WRAPPER.has(k)) continue;
    if (Object.prototype.hasOwnProperty.call(UNSUPPORTED, k)) {
      if (Object.hasOwn(AS_IS, k) && v === AS_IS[k]) continue;
      throw new SioError('ERR_SIO_UNSUPPORTED', `option "${k}" is not supported: ${UNSUPPORTED[k]}`);
    }
    if (Object.prototype.hasOwnProperty.call(NESTED, k)) throw invalid(`unknown option "${k}" (use "${NESTED[k]}")`);
    // socket.io's parser module (socket.io-parser or socket.io-msgpack-parser): the core's format name.
    // engine.io's httpCompression: a boolean, or { threshold } (on)
    if (k === 'httpCompression' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const key of Object.keys(v)) {
        if (key !== 'threshold' && v[key] !== undefined) {
          throw new SioError('ERR_SIO_UNSUPPORTED', `option "httpCompression.${key}" is not supported (only httpCompression.threshold)`);
        }
      }
      out.push(entry('httpCompression', true));
      if (v.threshold !== undefined) out.push(entry('compressionThreshold', v.threshold, 'httpCompression.threshold'));
      continue;
    }
    // socket.io's perMessageDeflate: a boolean, or { threshold } (on)
    if (k === 'perMessageDeflate' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const key of Object.keys(v)) {
        if (key !== 'threshold' && v[key] !== undefined) {
          throw new SioError('ERR_SIO_UNSUPPORTED', `option "perMessageDeflate.${key}" is not supported (only perMessageDeflate.threshold)`);
        }
      }
      out.push(entry('perMessageDeflate', true));
      if (v.threshold !== undefined) out.push(entry('perMessageDeflateThreshold', v.threshold, 'perMessageDeflate.threshold'));
      continue;
    }
    // engine.io's spelling of the core's allow_eio3
    if (k === 'allowEIO3') {
      out.push(entry('allowEio3', v, k));
      continue;
    }
    if (k === 'parser') {
      out.push(entry(k, parserName(v)));
      continue;
    }
    if (!names.has(k)) throw invalid(`unknown option "${k}"`);
    out.push(entry(k, v));
  }
  ms('destroyUpgradeTimeout', opts.destroyUpgradeTimeout);
  if (opts.adapter !== undefined) {
    if (!(opts.adapter instanceof RedisAdapter)) throw unsupportedAdapter();
    out.push(entry('clusterUrl', opts.adapter.url, 'adapter'));
    if (opts.adapter.kind !== undefined) out.push(entry('clusterAdapter', opts.adapter.kind, 'adapter.kind'));
  }
  if (opts.cors != null) {
    const c = opts.cors;
    if (typeof c !== 'object' || Array.isArray(c)) throw invalid('option "cors" must be an object');
    for (const k of Object.keys(c)) {
      if (k !== 'origin' && k !== 'credentials' && c[k] !== undefined) {
        throw new SioError('ERR_SIO_UNSUPPORTED', `option "cors.${k}" is not supported (only cors.origin and cors.credentials)`);
      }
    }
    // As the `cors` package: no origin is "*", origin false turns CORS off.
    const origin = c.origin === undefined ? '*' : c.origin;
    if (typeof origin === 'function' || origin instanceof RegExp) {
      throw new SioError('ERR_SIO_UNSUPPORTED', 'option "cors.origin" must be "*", true, false, a string or an array of strings');
    }
    if (origin !== false) {
      out.push(entry('corsOrigin', origin, 'cors.origin'));
      if (c.credentials !== undefined) out.push(entry('corsCredentials', c.credentials, 'cors.credentials'));
    }
  }
  if (opts.tls != null) {
    // As https.createServer's `cert` and `key` (PEM, a string or a Buffer), or a PEM file path.
    const t = opts.tls;
    if (typeof t !== 'object' || Array.isArray(t)) throw invalid('option "tls" must be an object ({ cert, key })');
    for (const k of Object.keys(t)) {
      if (k !== 'cert' && k !== 'key' && t[k] !== undefined) {
        throw new SioError('ERR_SIO_UNSUPPORTED', `option "tls.${k}" is not supported (only tls.cert and tls.key)`);
      }
    }
    if ((t.cert === undefined) !== (t.key === undefined)) {
      throw invalid(t.cert === undefined ? 'option "tls.key" needs tls.cert' : 'option "tls.cert" needs tls.key');
    }
    for (const [k, name] of [['cert', 'tlsCert'], ['key', 'tlsKey']]) {
      let v = t[k];
      if (v === undefined) continue;
      if (v instanceof Uint8Array && !Buffer.isBuffer(v)) v = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      if (typeof v !== 'string' && !Buffer.isBuffer(v)) {
        throw invalid(`option "tls.${k}" must be PEM (a string or a Buffer) or a PEM file path`);
      }
      out.push({ name, value: v, spelled: `tls.${k}` });
    }
  }
  const cookie = opts.cookie;
  if (cookie != null && cookie !== false) {
    // engine.io's: true, or the `cookie` package's serialize options with a name (maxAge in
    // seconds there, as in every cookie; sameSite true is "strict"; path false: none).
    if (cookie !== true && (typeof cookie !== 'object' || Array.isArray(cookie))) {
      throw invalid('option "cookie" must be true or an object ({ name, path, httpOnly, sameSite, secure, domain, maxAge })');
    }
    const c = cookie === true ? {} : cookie;
    out.push(entry('cookie', c.name === undefined ? true : c.name, c.name === undefined ? 'cookie' : 'cookie.name'));
    for (const [k, v] of Object.entries(c)) {
      if (v === undefined || k === 'name') continue;
      const name = `cookie${k[0].toUpperCase()}${k.slice(1)}`;
      if (!Object.hasOwn(NESTED, name)) {
        throw new SioError('ERR_SIO_UNSUPPORTED', `option "cookie.${k}" is not supported (name, path, httpOnly, sameSite, secure, domain, maxAge)`);
      }
      let value = v;
      if (k === 'path' && v === false) value = '';
      else if (k === 'sameSite' && v === true) value = 'strict';
      else if (k === 'maxAge') value = ms('cookie.maxAge', v * 1000); // the core takes ms from Node
      out.push(entry(name, value, `cookie.${k}`));
    }
  }
  const rec = opts.connectionStateRecovery;
  if (rec != null && rec !== false) {
    if (rec !== true && (typeof rec !== 'object' || Array.isArray(rec))) throw invalid('option "connectionStateRecovery" must be an object');
    out.push(entry('recovery', true, 'connectionStateRecovery'));
    for (const [k, v] of Object.entries(rec === true ? {} : rec)) {
      if (v === undefined) continue;
      if (k !== 'maxDisconnectionDuration' && k !== 'skipMiddlewares') throw invalid(`unknown option "connectionStateRecovery.${k}"`);
      out.push(entry(k, v, `connectionStateRecovery.${k}`));
    }
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

/** A core error naming options by their flat names (`cookieSecure`) in socket.io's spelling (`cookie.secure`). */
function spelledNested(e) {
  if (e && e.code === 'ERR_SIO_INVALID_OPTION' && typeof e.message === 'string') {
    const names = Object.keys(NESTED).sort((a, b) => b.length - a.length);
    e.message = e.message.replace(new RegExp(`(?<![.\\w])(${names.join('|')})\\b`, 'g'), (n) => NESTED[n]);
  }
  return e;
}

module.exports = { ms, nativeOptions, spelledNested, unsupportedAdapter, checkAttachable };
