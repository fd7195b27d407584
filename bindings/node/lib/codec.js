'use strict';
// Arguments cross into Rust the way socket.io-parser sends them: JSON text where each
// binary buffer is replaced by {"_placeholder":true,"num":N}, plus the buffers.
const { SioError } = require('./errors');

function isBinary(v) {
  // A Buffer is a Uint8Array: a view.
  return ArrayBuffer.isView(v) || v instanceof ArrayBuffer;
}

function toBuffer(v) {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function deconstruct(v, bins, seen) {
  if (v === null || typeof v !== 'object') return v;
  if (isBinary(v)) {
    bins.push(toBuffer(v));
    return { _placeholder: true, num: bins.length - 1 };
  }
  if (typeof v.toJSON === 'function') return v; // Date & co: JSON.stringify calls it
  if (seen.has(v)) throw new SioError('ERR_SIO_NOT_SERIALISABLE', 'arguments contain a circular reference');
  seen.add(v);
  let out;
  if (Array.isArray(v)) {
    out = v.map((x) => deconstruct(x, bins, seen));
  } else {
    out = {};
    for (const k of Object.keys(v)) out[k] = deconstruct(v[k], bins, seen);
  }
  seen.delete(v);
  return out;
}

// Deeper than this, `encode` takes the copying path, which also finds cycles.
const PLAIN_DEPTH = 32;

/** True when `v` holds no binary value down to `depth` levels (false: maybe it does). */
function plain(v, depth) {
  if (v === null || typeof v !== 'object') return true;
  if (depth === 0 || isBinary(v)) return false;
  if (typeof v.toJSON === 'function') return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!plain(v[i], depth - 1)) return false;
    return true;
  }
  for (const k in v) {
    if (Object.prototype.hasOwnProperty.call(v, k) && !plain(v[k], depth - 1)) return false;
  }
  return true;
}

/** Encodes an argument list (or one value): `{ json, bins }`. */
function encode(value) {
  // Most arguments hold no buffer: written as they are, without a copy (as
  // socket.io-parser, which looks for binary before deconstructing).
  if (plain(value, PLAIN_DEPTH)) {
    let json;
    try {
      json = JSON.stringify(value);
    } catch (e) {
      throw new SioError('ERR_SIO_NOT_SERIALISABLE', `arguments cannot be serialised: ${e.message}`);
    }
    return { json: json === undefined ? 'null' : json, bins: [] };
  }
  const bins = [];
  const data = deconstruct(value, bins, new Set());
  let json;
  try {
    json = JSON.stringify(data);
  } catch (e) {
    throw new SioError('ERR_SIO_NOT_SERIALISABLE', `arguments cannot be serialised: ${e.message}`);
  }
  if (json === undefined) json = 'null';
  return { json, bins };
}

function reconstruct(v, bins) {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => reconstruct(x, bins));
  if (v._placeholder === true && typeof v.num === 'number' && v.num < bins.length) return bins[v.num];
  for (const k of Object.keys(v)) v[k] = reconstruct(v[k], bins);
  return v;
}

/** Decodes what the native side sends. */
function decode(json, bins) {
  if (json == null) return undefined;
  // Without buffers no placeholder can be replaced: the parsed value is the answer.
  if (!bins || bins.length === 0) return JSON.parse(json);
  return reconstruct(JSON.parse(json), bins);
}

// The event name as the native side takes it. Reserved names (`connect`, ...) are the
// core's rule: the native emit refuses them with ERR_SIO_RESERVED_EVENT.
function checkEvent(ev) {
  if (typeof ev !== 'string' && typeof ev !== 'number') {
    throw new SioError('ERR_SIO_INVALID_ARGUMENT', 'the event name must be a string');
  }
  return String(ev);
}

/** Splits a trailing ack callback off an argument list. */
function splitAck(args) {
  if (args.length && typeof args[args.length - 1] === 'function') {
    return [args.slice(0, -1), args[args.length - 1]];
  }
  return [args, undefined];
}

module.exports = { encode, decode, checkEvent, splitAck };
