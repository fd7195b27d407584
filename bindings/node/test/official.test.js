'use strict';
// The shared suite against socket.io@4 and socket.io-client@4 from npm.
const { Server } = require('socket.io');
const { io } = require('socket.io-client');
require('./suite').run('official', { Server, io });
