"""sio.Server and sio.AsyncServer driven by the official JavaScript client
(socket.io-client in Node)."""
from __future__ import annotations

import sio_rs as sio
from conftest import Recorder, after, run_node

# Connects to "/" and "/admin" over one connection; echoes binary with an ack;
# answers the server's ack request; disconnects "/admin" alone (client namespace
# disconnect), then waits to be kicked from "/" by the server.
SCRIPT = r"""
const { io } = require("socket.io-client");
const url = process.argv[process.argv.length - 1];
const out = (o) => console.log(JSON.stringify(o));
const root = io(url, { auth: { token: "js" } });
const admin = io(url + "/admin");
root.on("question", (n, buf, ack) => ack(n + 1, Buffer.from(buf).reverse()));
root.on("disconnect", (reason) => { out({ ev: "disconnect", reason }); process.exit(0); });
root.on("connect_error", (e) => { out({ ev: "connect_error", message: e.message }); process.exit(1); });
Promise.all([new Promise((r) => root.on("connect", r)), new Promise((r) => admin.on("connect", r))]).then(() => {
  out({ ev: "connected", id: root.id, admin: admin.id });
  root.timeout(5000).emit("echo", "hi", Buffer.from([1, 2, 3]), { n: 1 }, (err, ...reply) => {
    if (err) { out({ ev: "echo-error", message: err.message }); process.exit(3); }
    out({ ev: "echo", text: reply[0], bin: [...reply[1]], isBuffer: Buffer.isBuffer(reply[1]), obj: reply[2] });
    admin.disconnect();
    root.emit("admin-gone");
  });
});
setTimeout(() => { out({ ev: "timeout" }); process.exit(2); }, 15000);
"""


def test_js_client_events_acks_binary_and_reasons(server, run):
    rec = Recorder()

    @server.on("connection")
    def on_connection(socket):
        rec.record("connection", socket.id, socket.handshake["auth"])
        socket.join("js")

        @socket.on("echo")
        def echo(*args):
            return args

        @socket.on("admin-gone")
        def admin_gone():
            # the server asks the client (blocking, or awaited), then disconnects it
            def answered(answer):
                rec.record("answer", answer)
                socket.disconnect()

            return after(socket.emit_with_ack("question", 41, b"\x01\x02", timeout=5), answered)

        socket.on("disconnecting", lambda reason: rec.record("disconnecting", reason, socket.rooms))

    admin = server.of("/admin")
    admin.on("disconnect", lambda socket, reason: rec.record("admin-disconnect", reason))
    url = f"http://127.0.0.1:{run(server.listen())}"
    lines = run_node(SCRIPT, url)
    by_ev = {l["ev"]: l for l in lines}
    assert "timeout" not in by_ev, lines
    sid, auth = rec.wait("connection")
    assert by_ev["connected"]["id"] == sid
    assert auth == {"token": "js"}
    assert by_ev["echo"] == {"ev": "echo", "text": "hi", "bin": [1, 2, 3], "isBuffer": True, "obj": {"n": 1}}
    assert rec.wait("admin-disconnect") == (sio.DisconnectReason.CLIENT_NAMESPACE_DISCONNECT,)
    assert rec.wait("answer") == ([42, b"\x02\x01"],)
    reason, rooms = rec.wait("disconnecting")
    assert reason == "server namespace disconnect"
    assert rooms == {sid, "js"}
    assert by_ev["disconnect"]["reason"] == "io server disconnect"


KILL_SCRIPT = r"""
const { io } = require("socket.io-client");
const url = process.argv[process.argv.length - 1];
const s = io(url, { transports: ["websocket"] });
s.on("connect", () => { console.log(JSON.stringify({ ev: "connected", id: s.id })); process.exit(0); });
"""


def test_js_client_process_exit_is_transport_close(server, run):
    rec = Recorder()
    server.on("disconnect", lambda socket, reason: rec.record("disconnect", socket.id, reason))
    lines = run_node(KILL_SCRIPT, f"http://127.0.0.1:{run(server.listen())}")
    sid, reason = rec.wait("disconnect")
    assert sid == lines[0]["id"]
    assert reason is sio.DisconnectReason.TRANSPORT_CLOSE
