'use strict';
// The cluster adapter this package offers: Redis, in @socket.io/redis-adapter's wire format,
// so these servers and Node.js socket.io servers with that adapter serve one cluster.
const { SioError } = require('./errors');

/** `new Server({ adapter: new RedisAdapter("redis://127.0.0.1:6379") })`. */
class RedisAdapter {
  constructor(url) {
    if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
      throw new SioError('ERR_SIO_INVALID_OPTION', 'RedisAdapter takes a Redis URL: "redis://host:port[/db]"');
    }
    this.url = url;
  }
}

module.exports = { RedisAdapter };
