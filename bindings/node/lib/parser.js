'use strict';
// The `parser` option of socket.io and socket.io-client is a module object (its Encoder and
// Decoder). The Rust core has two packet formats built in, socket.io-parser's ("default")
// and socket.io-msgpack-parser's ("msgpack"): the module given is recognised by what its
// Encoder writes for one EVENT packet, and any other parser is refused (it cannot drive the
// core, and ignoring it would talk a format its peers do not expect).

const PROBE = { type: 2, nsp: '/', data: ['x'] };
const HELP = 'pass require("socket.io-parser") (the default), require("socket.io-msgpack-parser"), "default" or "msgpack"';

/** The error for a parser the core does not have: a TypeError with a sio code. */
function unsupported(what) {
  const e = new TypeError(`option "parser": ${what} is not supported (a custom parser cannot drive the Rust core): ${HELP}`);
  e.code = 'ERR_SIO_UNSUPPORTED';
  return e;
}

/**
 * The value of one MessagePack item at `at` of `b` (nil, booleans, integers, strings,
 * arrays and maps: what the probe packet holds) as [value, next offset]; throws otherwise.
 */
function unpack(b, at) {
  const t = b[at];
  if (t === undefined) throw new RangeError('truncated');
  const str = (start, n) => {
    if (start + n > b.length) throw new RangeError('truncated');
    return [Buffer.from(b.buffer, b.byteOffset + start, n).toString('utf8'), start + n];
  };
  const seq = (start, n, map) => {
    const out = map ? {} : [];
    let p = start;
    for (let i = 0; i < n; i++) {
      let k;
      if (map) {
        [k, p] = unpack(b, p);
        if (typeof k !== 'string') throw new TypeError('map key');
      }
      let v;
      [v, p] = unpack(b, p);
      if (map) out[k] = v;
      else out.push(v);
    }
    return [out, p];
  };
  const u16 = () => (b[at + 1] << 8) | b[at + 2];
  if (t <= 0x7f) return [t, at + 1];
  if (t >= 0x80 && t <= 0x8f) return seq(at + 1, t & 0x0f, true);
  if (t >= 0x90 && t <= 0x9f) return seq(at + 1, t & 0x0f, false);
  if (t >= 0xa0 && t <= 0xbf) return str(at + 1, t & 0x1f);
  switch (t) {
    case 0xc0: return [null, at + 1];
    case 0xc2: return [false, at + 1];
    case 0xc3: return [true, at + 1];
    case 0xcc: return [b[at + 1], at + 2];
    case 0xd9: return str(at + 2, b[at + 1]);
    case 0xda: return str(at + 3, u16());
    case 0xdc: return seq(at + 3, u16(), false);
    case 0xde: return seq(at + 3, u16(), true);
    default: throw new TypeError(`MessagePack type 0x${t.toString(16)}`);
  }
}

/** Whether `bytes` is exactly one MessagePack map holding the probe packet. */
function isMsgpackProbe(bytes) {
  let b;
  if (bytes instanceof ArrayBuffer) b = new Uint8Array(bytes);
  else if (ArrayBuffer.isView(bytes)) b = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  else return false;
  if (!(b[0] >= 0x80 && b[0] <= 0x8f) && b[0] !== 0xde) return false; // a map
  try {
    const [v, end] = unpack(b, 0);
    if (end !== b.length) return false;
    const keys = Object.keys(v).filter((k) => v[k] !== null).sort();
    return keys.join() === 'data,nsp,type' && v.type === 2 && v.nsp === '/' &&
      Array.isArray(v.data) && v.data.length === 1 && v.data[0] === 'x';
  } catch {
    return false;
  }
}

const known = new WeakMap(); // parser module -> core name

/**
 * The core's name ("default" or "msgpack") of socket.io's `parser` option: the module of
 * socket.io-parser or of socket.io-msgpack-parser (or one of those names). Throws a
 * TypeError (code ERR_SIO_UNSUPPORTED) for anything else.
 */
function parserName(parser) {
  if (parser === 'default' || parser === 'msgpack') return parser;
  if (typeof parser === 'string') throw unsupported(`"${parser}"`);
  if (parser === null || (typeof parser !== 'object' && typeof parser !== 'function')) {
    throw unsupported(`a ${parser === null ? 'null' : typeof parser}`);
  }
  if (known.has(parser)) return known.get(parser);
  // ESM namespace objects of a CommonJS module (`import * as parser`) keep it in `default`.
  const mod = typeof parser.Encoder !== 'function' && parser.default && typeof parser.default.Encoder === 'function' ? parser.default : parser;
  if (typeof mod.Encoder !== 'function' || typeof mod.Decoder !== 'function') {
    throw unsupported('an object without Encoder and Decoder classes');
  }
  let encoded;
  try {
    encoded = new mod.Encoder().encode({ ...PROBE, data: [...PROBE.data] });
  } catch (e) {
    throw unsupported(`a parser whose Encoder fails (${e && e.message})`);
  }
  let name;
  if (Array.isArray(encoded) && encoded.length === 1) {
    if (encoded[0] === '2["x"]') name = 'default';
    else if (isMsgpackProbe(encoded[0])) name = 'msgpack';
  }
  if (name === undefined) throw unsupported('a parser that writes neither socket.io-parser\'s packets nor socket.io-msgpack-parser\'s');
  known.set(parser, name);
  return name;
}

module.exports = { parserName };
