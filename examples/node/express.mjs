// sio-node mounted on an Express app: the app's routes and socket.io on one port, the
// http.Server handing the socket.io path to the Rust core directly (no loopback hop).
//   node examples/node/express.mjs [--port 3000]
// Prints `listening <port>` once bound. Try: curl http://127.0.0.1:3000/health, and
// socket.io-client: io('http://127.0.0.1:3000').emitWithAck('echo', 'hi').
// Fastify is the same with `new Server(fastify.server)` before `fastify.listen()`.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { Server } from '../../bindings/node/index.mjs';

// In an app of your own: `import express from 'express'`. Here Express is taken from
// bindings/node's devDependencies (`npm install` there).
const express = createRequire(new URL('../../bindings/node/package.json', import.meta.url))('express');

const i = process.argv.indexOf('--port');
const port = i > 0 ? Number(process.argv[i + 1]) : 3000;

const app = express();
app.get('/health', (req, res) => res.json({ ok: true, clients: io.engine.clientsCount }));

const httpServer = createServer(app);
const io = new Server(httpServer, { cors: { origin: '*' } });

io.on('connection', (socket) => {
  console.log(`connect ${socket.id} from ${socket.handshake.address} over ${socket.conn.transport.name}`);
  socket.on('echo', (msg, ack) => typeof ack === 'function' && ack(msg));
  socket.on('disconnect', (reason) => console.log(`disconnect ${socket.id} (${reason})`));
});

httpServer.listen(port, () => console.log(`listening ${httpServer.address().port}`));
// Ctrl-C: io.close() disconnects every socket and closes the http.Server too.
process.on('SIGINT', () => io.close());
