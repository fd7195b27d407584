'use strict';
// The catch-all listener methods socket.io gives both its server and client sockets
// (onAny, prependAny, offAny, listenersAny and their *Outgoing twins), over `_any`/`_anyOut`.
const methods = {
  onAny(fn) {
    this._any.push(fn);
    return this;
  },
  prependAny(fn) {
    this._any.unshift(fn);
    return this;
  },
  offAny(fn) {
    this._any = fn ? this._any.filter((f) => f !== fn) : [];
    return this;
  },
  listenersAny() {
    return this._any.slice();
  },
  onAnyOutgoing(fn) {
    this._anyOut.push(fn);
    return this;
  },
  prependAnyOutgoing(fn) {
    this._anyOut.unshift(fn);
    return this;
  },
  offAnyOutgoing(fn) {
    this._anyOut = fn ? this._anyOut.filter((f) => f !== fn) : [];
    return this;
  },
  listenersAnyOutgoing() {
    return this._anyOut.slice();
  },
};

/** Adds the catch-all methods to `Class.prototype`. */
function withCatchAll(Class) {
  for (const [name, fn] of Object.entries(methods)) {
    Object.defineProperty(Class.prototype, name, { value: fn, writable: true, configurable: true });
  }
  return Class;
}

module.exports = { withCatchAll };
