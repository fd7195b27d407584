// A remote-controlled official socket.io-client (npm) for the C server tests.
//
//   node client.cjs URL [OPTIONS_JSON]
//
// OPTIONS_JSON is passed to io() (forceNew is always set; "caFile": PATH becomes `ca`, the
// PEM of that file; "parser": "msgpack" becomes socket.io-msgpack-parser; "v2": true uses
// socket.io-client 2.x, Engine.IO 3, npm alias socket.io-client-v2, whose io() options are
// transports, query, forceNew, reconnection). Prints one JSON line per event:
//   {"ev":"connect","id":".."}  {"ev":"connect_error","message":"..","data":..}
//   (2.x: {"ev":"connect","id":"..","engine":".."} with the Engine.IO id, and
//   {"ev":"error","data":..}, the socket's `error` event: a refused namespace's data)
//   {"ev":"disconnect","reason":".."}  {"ev":"event","name":"..","args":[..],"acked":bool}
//   {"ev":"ack","seq":N,"args":[..]}
//   {"ev":"manager-close","reason":".."}  (the Manager's "close": the connection went away)
// Buffers appear as {"$bin":"hex"}. Commands, one JSON object per stdin line:
//   {"cmd":"emit","name":"..","args":[..]}           plain emit
//   {"cmd":"emit","name":"..","args":[..],"seq":N}   emit with an ack; its answer prints "ack"
//   {"cmd":"policy","name":"..","reply":[..]|null}   how to answer the server's acks for an
//        event: the given args, or never (null). Default: ["re", ...received args].
//        Confirmed with {"ev":"policy","name":".."} (stdin and the socket are not ordered).
//   {"cmd":"disconnect"}   socket.disconnect()
// The process exits when stdin closes.
const { load, enc, dec, out, commands } = require("./modules.cjs");

const url = process.argv[2];
const opts = JSON.parse(process.argv[3] || "{}");
const v2 = !!opts.v2;
delete opts.v2;
// {"caFile": path}: trust the CA in that PEM file (https/wss to a test server).
if (opts.caFile) {
  opts.ca = require("node:fs").readFileSync(opts.caFile);
  delete opts.caFile;
}
// {"parser": "msgpack"}: socket.io-msgpack-parser's packets.
if (opts.parser === "msgpack") opts.parser = load("socket.io-msgpack-parser");
const io = v2 ? load("socket.io-client-v2") : load("socket.io-client").io;
const socket = io(url, { forceNew: true, ...opts });
const policy = new Map();

/** Prints a server event and answers its ack (if any) by the policy. */
function onEvent(name, args, ack) {
  out({ ev: "event", name, args: enc(args), acked: !!ack });
  if (!ack) return;
  const rule = policy.has(name) ? policy.get(name) : ["re", ...args];
  if (rule !== null) ack(...dec(rule));
}

socket.on("connect", () => out(v2 ? { ev: "connect", id: socket.id, engine: socket.io.engine.id } : { ev: "connect", id: socket.id }));
socket.on("connect_error", (err) =>
  out({ ev: "connect_error", message: err?.message ?? String(err), data: err?.data ?? null, active: socket.active ?? false }),
);
socket.on("disconnect", (reason) => out({ ev: "disconnect", reason, active: socket.active ?? false }));
socket.io.on("close", (reason) => out({ ev: "manager-close", reason }));
if (v2) {
  // socket.io-client 2.x has no onAny: every EVENT/BINARY_EVENT packet goes through
  // onevent(packet), packet.data being [name, ...args] and packet.id set for an ack.
  const onevent = socket.onevent;
  socket.onevent = function (packet) {
    const [name, ...args] = packet.data || [];
    onEvent(name, args, packet.id != null ? this.ack(packet.id) : null);
    onevent.call(this, { ...packet, data: [name, ...args], id: undefined }); // listeners, if any; no second ack
  };
  socket.on("error", (data) => out({ ev: "error", data: data instanceof Error ? { message: data.message } : enc(data ?? null) }));
} else {
  socket.onAny((name, ...args) => {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    onEvent(name, args, ack);
  });
}

commands((c) => {
  switch (c.cmd) {
    case "emit":
      if (typeof c.seq === "number") socket.emit(c.name, ...dec(c.args || []), (...a) => out({ ev: "ack", seq: c.seq, args: enc(a) }));
      else socket.emit(c.name, ...dec(c.args || []));
      break;
    case "policy":
      policy.set(c.name, c.reply);
      out({ ev: "policy", name: c.name }); // the test waits for this before relying on it
      break;
    case "disconnect":
      socket.disconnect();
      break;
    default:
      out({ ev: "error", message: `unknown command ${c.cmd}` });
  }
});
