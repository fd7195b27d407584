'use strict';
// The cluster adapter this package offers: Redis, in @socket.io/redis-adapter's wire format,
// so these servers and Node.js socket.io servers with that adapter serve one cluster. `kind`
// picks the adapter: "redis" (createAdapter, the default), "redis-sharded"
// (createShardedAdapter) or "redis-streams" (@socket.io/redis-streams-adapter); the core
// checks it.
const { SioError } = require('./errors');

/** `new Server({ adapter: new RedisAdapter("redis://127.0.0.1:6379", { kind: "redis-streams" }) })`. */
class RedisAdapter {
  constructor(url, options) {
    if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
      throw new SioError('ERR_SIO_INVALID_OPTION', 'RedisAdapter takes a Redis URL: "redis://host:port[/db]"');
    }
    this.url = url;
    if (options != null) {
      if (typeof options !== 'object') throw new SioError('ERR_SIO_INVALID_OPTION', 'RedisAdapter options must be an object');
      for (const k of Object.keys(options)) {
        if (k !== 'kind') throw new SioError('ERR_SIO_INVALID_OPTION', `unknown RedisAdapter option "${k}" (only kind)`);
      }
      this.kind = options.kind;
    }
  }
}

module.exports = { RedisAdapter };
