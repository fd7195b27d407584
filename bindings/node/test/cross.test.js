'use strict';
// The same suite across implementations: this addon's server with the official client,
// and the official server with this addon's client.
const official = { Server: require('socket.io').Server, io: require('socket.io-client').io };
const sio = require('..');
const { run } = require('./suite');
run('sio server + official client', { Server: sio.Server, io: official.io });
run('official server + sio client', { Server: official.Server, io: sio.io });
