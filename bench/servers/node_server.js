'use strict';
// The bench contract (bench/README.md) on Node, with either the official socket.io@4 or the
// sio Node addon (same socket.io API, same handlers):
//   node node_server.js --impl socket.io|sio|sio-attached --port P [--per-message-deflate] [--redis URL]
// `sio` listens on a port of its own (the Rust listener); `sio-attached` is attached to a
// Node http.Server, which hands the socket.io path's requests and upgrades to the core.
// The addon is loaded from bindings/node; NAPI_RS_NATIVE_LIBRARY_PATH picks its native
// library (bench/run.sh points it at a release build). socket.io comes from tests/node_modules.
// `--redis URL` joins a cluster through Redis: socket.io with the official
// @socket.io/redis-adapter (and the `redis` client, both from tests/node_modules), the addon
// with its own RedisAdapter (the same wire format).
const path = require('node:path');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const impl = arg('--impl', 'socket.io');
const port = Number(arg('--port', '0'));
const repo = path.resolve(__dirname, '..', '..');
const redisUrl = arg('--redis', null);
const fromTests = (pkg) => require(path.join(repo, 'tests', 'node_modules', pkg));
// permessage-deflate with each implementation's default threshold (1024 bytes).
const opts = process.argv.includes('--per-message-deflate') ? { perMessageDeflate: true } : {};

// The sio addon throws ERR_SIO_DISCONNECTED from ack() once the client has gone (events
// still queued for the JS thread when the generator closes its clients); socket.io drops
// such an answer silently. Do the same here so that the end of a run is not a crash.
function answer(ack, args) {
  if (typeof ack !== 'function') return;
  try {
    ack(...args);
  } catch (e) {
    if (e.code !== 'ERR_SIO_DISCONNECTED') throw e;
  }
}

function handlers(io) {
  io.on('connection', (socket) => {
    socket.on('echo', (...args) => {
      const ack = args.pop();
      answer(ack, args);
    });
    socket.on('join', (room, ack) => {
      socket.join(room);
      answer(ack, []);
    });
    socket.on('bcast', (room, ...payload) => {
      io.to(room).emit('b', ...payload);
    });
  });
}

// The official adapter over a publishing and a subscribing client, once both are connected.
async function officialRedisAdapter(url) {
  const { createAdapter } = fromTests('@socket.io/redis-adapter');
  const { createClient } = fromTests('redis');
  const pub = createClient({ url });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on('error', (e) => console.error('redis:', e.message));
  await Promise.all([pub.connect(), sub.connect()]);
  return createAdapter(pub, sub);
}

// The cluster adapter for `--redis URL` (none without it).
async function adapter() {
  if (!redisUrl) return undefined;
  if (impl === 'socket.io') return officialRedisAdapter(redisUrl);
  const { RedisAdapter } = require(path.join(repo, 'bindings', 'node'));
  return new RedisAdapter(redisUrl);
}

async function main() {
  const redisAdapter = await adapter();
  if (redisAdapter) opts.adapter = redisAdapter;
  if (impl === 'sio') {
    const { Server } = require(path.join(repo, 'bindings', 'node'));
    const io = new Server(opts);
    handlers(io);
    io.listen(port);
    console.log(`ready ${io.httpServer.address().port}`);
    process.on('SIGTERM', () => { io.close(); process.exit(0); });
  } else if (impl === 'sio-attached') {
    const { createServer } = require('node:http');
    const { Server } = require(path.join(repo, 'bindings', 'node'));
    const httpServer = createServer();
    const io = new Server(httpServer, opts);
    handlers(io);
    httpServer.listen(port, '127.0.0.1', () => console.log(`ready ${httpServer.address().port}`));
    process.on('SIGTERM', () => process.exit(0));
  } else if (impl === 'socket.io') {
    const { createServer } = require('node:http');
    const { Server } = fromTests('socket.io');
    const httpServer = createServer();
    const io = new Server(httpServer, opts);
    handlers(io);
    httpServer.listen(port, '127.0.0.1', () => console.log(`ready ${httpServer.address().port}`));
    process.on('SIGTERM', () => process.exit(0));
  } else {
    console.error(`unknown --impl ${impl}`);
    process.exit(64);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
