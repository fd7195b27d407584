'use strict';
// `instrument(io, opts)` with the signature of `@socket.io/admin-ui`'s, so an app only changes
// its import: the admin UI's server part runs in the core (sio_core::server::admin).
const { SioError, call } = require('./errors');

const SUPPORTED = new Set(['auth', 'namespaceName', 'readonly', 'serverId', 'mode']);

/**
 * @param {import('./server').Server} io
 * @param {{ auth: false | { type: 'basic', username: string, password: string },
 *   namespaceName?: string, readonly?: boolean, serverId?: string,
 *   mode?: 'development' | 'production' }} opts
 */
function instrument(io, opts) {
  if (!io || !io._native || typeof io._native.instrument !== 'function') {
    throw new SioError('ERR_SIO_INVALID_ARGUMENT', 'instrument(io, opts) takes a Server of this package');
  }
  opts = opts || {};
  for (const k of Object.keys(opts)) {
    // `store` (a custom session store) among them: sessions live in the core's bounded store.
    if (!SUPPORTED.has(k)) throw new SioError('ERR_SIO_UNSUPPORTED', `instrument option "${k}" is not supported`);
  }
  const { auth } = opts;
  if (auth === undefined) {
    throw new SioError('ERR_SIO_INVALID_OPTION', 'the `auth` option must be specified or explicitly set to `false`');
  }
  const native = {
    namespaceName: opts.namespaceName,
    readonly: opts.readonly,
    serverId: opts.serverId,
    mode: opts.mode ?? (process.env.NODE_ENV || 'development'),
  };
  if (auth !== false) {
    if (!auth || auth.type !== 'basic' || typeof auth.username !== 'string' || typeof auth.password !== 'string') {
      throw new SioError('ERR_SIO_INVALID_OPTION', 'invalid `auth` option, please check the documentation');
    }
    native.username = auth.username;
    native.password = auth.password;
  }
  call(() => io._native.instrument(native));
}

module.exports = { instrument };
