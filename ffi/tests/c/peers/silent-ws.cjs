// A raw Engine.IO WebSocket peer (npm `ws`) that joins namespace "/" and then never answers
// pings, so the server must end it with "ping timeout".
//
//   node silent-ws.cjs PORT [PATH]   (PATH default /socket.io/)
//
// Prints {"ev":"open"}, {"ev":"connect","id":SID}, {"ev":"ping"} (unanswered), {"ev":"close"}.
const { load, out, commands } = require("./modules.cjs");
const WebSocket = load("ws");

const ws = new WebSocket(`ws://127.0.0.1:${process.argv[2]}${process.argv[3] || "/socket.io/"}?EIO=4&transport=websocket`);
ws.on("message", (data) => {
  const s = data.toString();
  if (s[0] === "0") {
    out({ ev: "open" });
    ws.send("40");
  } else if (s.startsWith("40")) out({ ev: "connect", id: JSON.parse(s.slice(2)).sid });
  else if (s === "2") out({ ev: "ping" }); // deliberately no "3"
});
ws.on("close", () => out({ ev: "close" }));
ws.on("error", (e) => out({ ev: "error", message: e.message }));
commands(() => {});
