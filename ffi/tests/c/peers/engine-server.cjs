// A remote-controlled official socket.io server (npm) for the C client tests that look
// at the Engine.IO connection (sio_client_watch_engine) and the catch-alls.
//
//   node engine-server.cjs [PORT]      (0 or absent: a free port; pingInterval 300 ms)
//
// Prints one JSON line per event:
//   {"ev":"listening","port":N}
//   {"ev":"engine","sid":"..","transport":"polling"|"websocket"}   io.engine "connection"
//   {"ev":"upgrade","sid":"..","transport":"websocket"}            conn "upgrade"
//   {"ev":"conn-close","sid":"..","reason":".."}                   conn "close"
//   {"ev":"connection","id":"..","sid":".."}                        io "connection"
//   {"ev":"event","id":"..","name":"..","args":[..]}               every event of a socket
//   {"ev":"disconnect","id":"..","reason":".."}
// Buffers appear as {"$bin":"hex"}. Commands, one JSON object per stdin line:
//   {"cmd":"emit","name":"..","args":[..]}   io.emit (to every socket of "/")
// The process exits when stdin closes.
const http = require("node:http");
const { load, enc, dec, out, commands } = require("./modules.cjs");
const { Server } = load("socket.io");

const port = Number(process.argv[2] || 0);
const httpServer = http.createServer();
const io = new Server(httpServer, { pingInterval: 300, pingTimeout: 20000 });

io.engine.on("connection", (conn) => {
  out({ ev: "engine", sid: conn.id, transport: conn.transport.name });
  conn.on("upgrade", (t) => out({ ev: "upgrade", sid: conn.id, transport: t.name }));
  conn.on("close", (reason) => out({ ev: "conn-close", sid: conn.id, reason }));
});

io.on("connection", (socket) => {
  out({ ev: "connection", id: socket.id, sid: socket.conn.id });
  socket.onAny((name, ...args) => {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    out({ ev: "event", id: socket.id, name, args: enc(args) });
    if (ack) ack("re", ...args);
  });
  socket.on("disconnect", (reason) => out({ ev: "disconnect", id: socket.id, reason }));
});

commands((c) => {
  switch (c.cmd) {
    case "emit":
      io.emit(c.name, ...dec(c.args || []));
      break;
    default:
      out({ ev: "error", message: `unknown command ${c.cmd}` });
  }
});

httpServer.listen(port, "127.0.0.1", () => out({ ev: "listening", port: httpServer.address().port }));
