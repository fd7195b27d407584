// A remote-controlled official socket.io-client (npm) for the C server tests.
//
//   node client.cjs URL [OPTIONS_JSON]
//
// OPTIONS_JSON is passed to io() (forceNew is always set; "caFile": PATH becomes `ca`, the
// PEM of that file; "parser": "msgpack" becomes socket.io-msgpack-parser). Prints one JSON
// line per event:
//   {"ev":"connect","id":".."}  {"ev":"connect_error","message":"..","data":..}
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
const { io } = load("socket.io-client");

const url = process.argv[2];
const opts = JSON.parse(process.argv[3] || "{}");
// {"caFile": path}: trust the CA in that PEM file (https/wss to a test server).
if (opts.caFile) {
  opts.ca = require("node:fs").readFileSync(opts.caFile);
  delete opts.caFile;
}
// {"parser": "msgpack"}: socket.io-msgpack-parser's packets.
if (opts.parser === "msgpack") opts.parser = load("socket.io-msgpack-parser");
const socket = io(url, { forceNew: true, ...opts });
const policy = new Map();

socket.on("connect", () => out({ ev: "connect", id: socket.id }));
socket.on("connect_error", (err) => out({ ev: "connect_error", message: err.message, data: err.data ?? null, active: socket.active }));
socket.on("disconnect", (reason) => out({ ev: "disconnect", reason, active: socket.active }));
socket.io.on("close", (reason) => out({ ev: "manager-close", reason }));
socket.onAny((name, ...args) => {
  const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
  out({ ev: "event", name, args: enc(args), acked: !!ack });
  if (!ack) return;
  const rule = policy.has(name) ? policy.get(name) : ["re", ...args];
  if (rule !== null) ack(...dec(rule));
});

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
