'use strict';
/** Errors thrown by sio-node: a stable `code` on every one. */
class SioError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'SioError';
    this.code = code;
  }
}

/** Moves the `ERR_X: message` prefix of a native error onto `err.code`. */
function fromNative(e) {
  if (e && typeof e.message === 'string') {
    const m = /^(ERR_SIO_[A-Z_]+): (.*)$/s.exec(e.message);
    if (m) return new SioError(m[1], m[2]);
  }
  return e;
}

/** Calls a native function, rethrowing its errors with their code. */
function call(fn) {
  try {
    return fn();
  } catch (e) {
    throw fromNative(e);
  }
}

module.exports = { SioError, fromNative, call };
