'use strict';
// The chat example from an installed sio-node, against the official socket.io-client:
//   node run-chat.js <server.mjs> <client.mjs>
// <server.mjs> is examples/node/chat-server.mjs importing 'sio-node' (copied into a project
// that installed the package); <client.mjs> is chat-client.mjs importing 'socket.io-client'.
// The scenario is test/chat-scenario.js's. Exits 0 on success.
const path = require('node:path');
const { chatScenario } = require('../test/chat-scenario');

const [serverFile, clientFile] = process.argv.slice(2).map((f) => path.resolve(f));
chatScenario(serverFile, clientFile).then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
