// A raw Engine.IO WebSocket peer (npm `ws`, which offers permessage-deflate) that joins "/",
// emits ["go", NAME] for each NAME of ORDER, the next once the answer to the last came, and reports the
// extension the 101 agreed and, for each event the server sends, its name and the bytes
// it took on the socket (compressed messages take fewer; one request at a time, so the bytes
// read meanwhile are that event's).
//
//   node deflate-ws.cjs PORT
//
// Prints {"ev":"open","extensions":"..."}, {"ev":"connect"}, {"ev":"msg","name":N,"bytes":B}.
const { load, out, commands } = require("./modules.cjs");
const WebSocket = load("ws");

const ORDER = ["big", "small", "plain", "bcast", "bcastz"];
const ws = new WebSocket(`ws://127.0.0.1:${process.argv[2]}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: true });
let before = 0;
ws.on("open", () => { before = ws._socket.bytesRead; });
ws.on("message", (data) => {
  const bytes = ws._socket.bytesRead - before;
  before = ws._socket.bytesRead;
  const s = data.toString();
  if (s[0] === "0") {
    out({ ev: "open", extensions: ws.extensions });
    ws.send("40");
  } else if (s.startsWith("40")) {
    out({ ev: "connect" });
    ws.send(`42["go","${ORDER[0]}"]`);
  } else if (s.startsWith("42")) {
    const name = JSON.parse(s.slice(2))[0];
    out({ ev: "msg", name, bytes });
    const i = ORDER.indexOf(name);
    if (i >= 0 && i + 1 < ORDER.length) ws.send(`42["go","${ORDER[i + 1]}"]`);
  }
  else if (s === "2") ws.send("3");
});
ws.on("close", () => out({ ev: "close" }));
ws.on("error", (e) => out({ ev: "error", message: e.message }));
commands(() => {});
