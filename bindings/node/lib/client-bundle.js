'use strict';
// socket.io's `serveClient`: the browser client bundles of the socket.io-client package
// (a dependency of this one, installed from npm), served at `<path>/<file>`.
const fs = require('node:fs');
const path = require('node:path');

const FILES = [
  'socket.io.js',
  'socket.io.min.js',
  'socket.io.msgpack.min.js',
  'socket.io.esm.min.js',
];

let cache = null;

/** [{ name, type, body }] of the bundles (and source maps) found; [] without socket.io-client. */
function clientFiles() {
  if (cache) return cache;
  let dist;
  try {
    dist = path.dirname(require.resolve('socket.io-client/dist/socket.io.js'));
  } catch {
    return (cache = []);
  }
  cache = [];
  for (const js of FILES) {
    for (const [name, type] of [
      [js, 'application/javascript; charset=utf-8'],
      [`${js}.map`, 'application/json; charset=utf-8'],
    ]) {
      const file = path.join(dist, name);
      if (fs.existsSync(file)) cache.push({ name, type, body: fs.readFileSync(file) });
    }
  }
  return cache;
}

module.exports = { clientFiles };
