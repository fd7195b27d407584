'use strict';
// examples/node/chat-server.mjs and chat-client.mjs against each other (child processes).
const { test } = require('node:test');
const path = require('node:path');
const { chatScenario } = require('./chat-scenario');

const dir = path.resolve(__dirname, '../../../examples/node');

test('chat example: server and client processes', { timeout: 60000 }, () =>
  chatScenario(path.join(dir, 'chat-server.mjs'), path.join(dir, 'chat-client.mjs')));
