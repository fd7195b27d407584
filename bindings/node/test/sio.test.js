'use strict';
// The same suite against this addon.
const { Server, io } = require('..');
require('./suite').run('sio', { Server, io });
