#!/usr/bin/env node
// Reference conformance server built from the npm `engine.io` / `socket.io`
// packages, with the same contract as our `conformance-server` example.
// It exists to validate the protocol tests themselves:
//
//   SIO_CONFORMANCE_SERVER=tests/protocol/reference-server.js node --test tests/protocol/
//
// Usage: node reference-server.js PORT   (prints "listening on PORT")
import { createServer } from "node:http";
import { Server as EngineServer } from "engine.io";
import { Server } from "socket.io";

const port = Number(process.argv[2] ?? 3000);
const httpServer = createServer();

const engine = new EngineServer({
  pingInterval: 300,
  pingTimeout: 200,
  maxHttpBufferSize: 1e6,
  cors: { origin: "*" },
});
engine.attach(httpServer, { path: "/engine.io/", destroyUpgrade: false });
engine.on("connection", (socket) => {
  socket.on("message", (data) => socket.send(data));
});

const io = new Server(httpServer, {
  pingInterval: 300,
  pingTimeout: 200,
  maxHttpBufferSize: 1e6,
  connectTimeout: 1000,
  cors: { origin: "*" },
});
io.on("connection", (socket) => {
  socket.emit("auth", socket.handshake.auth);
  socket.on("message", (...args) => socket.emit("message-back", ...args));
  socket.on("message-with-ack", (...args) => {
    const ack = args.pop();
    ack(...args);
  });
});
io.of("/custom").on("connection", (socket) => {
  socket.emit("auth", socket.handshake.auth);
});

httpServer.listen(port, () => {
  console.log(`listening on ${httpServer.address().port}`);
});
