"""WebSocket permessage-deflate: ``per_message_deflate`` on sio.Server / sio.AsyncServer (off
by default) seen by a raw `ws` client from npm (the extension the 101 agreed, the bytes each
message took on the wire, ``compress(False)``), and ``per_message_deflate`` on sio.Client /
AsyncClient (offered by default) against the official socket.io server with it on."""
from __future__ import annotations

from typing import Any

from conftest import TIMEOUT, NodeServer, free_port, run_node

BIG = "compress me " * 1000

# Opens a raw WebSocket session, joins `/`, waits for the server's "ready", then asks for the
# events one at a time (["go", name]) so the bytes read on the socket meanwhile are that
# event's; prints the extensions and, per event, its name and those bytes.
RAW_CLIENT = r"""
const WebSocket = require("ws");
const [url, names] = process.argv.slice(-2);
const ws = new WebSocket(url, { perMessageDeflate: true });
const done = (line) => { console.log(JSON.stringify(line)); ws.terminate(); process.exit(0); };
setTimeout(() => done({ error: "timeout" }), 10000);
const todo = names.split(",");
const got = [];
let before = 0;
const ask = () => { before = ws._socket.bytesRead; ws.send(`42["go","${todo[got.length]}"]`); };
ws.on("message", (m) => {
  const text = m.toString();
  if (text.startsWith("0")) ws.send("40");
  else if (text === '42["ready"]') ask();
  else if (text.startsWith("42")) {
    got.push([JSON.parse(text.slice(2))[0], ws._socket.bytesRead - before]);
    if (got.length === todo.length) done({ extensions: ws.extensions, got });
    else ask();
  }
});
"""


def _raw(url: str, names: str) -> dict:
    (line,) = run_node(RAW_CLIENT, url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket", names)
    assert "error" not in line, line
    return line


def test_server_per_message_deflate_and_compress_false(make_server: Any, run: Any) -> None:
    server = make_server(per_message_deflate=True)

    @server.on("connection")
    def on_connection(socket):
        @socket.on("go")
        def go(name):
            if name == "a":
                socket.emit("a", BIG)
            elif name == "b":
                socket.compress(False).emit("b", BIG)
            else:
                server.of("/").compress(False).emit("c", BIG)

        socket.emit("ready")

    line = _raw(f"http://127.0.0.1:{run(server.listen())}", "a,b,c")
    assert line["extensions"] == "permessage-deflate"
    sizes = dict(line["got"])
    assert sizes["a"] < len(BIG) / 5, line
    assert sizes["b"] > len(BIG) and sizes["c"] > len(BIG), line


def test_server_per_message_deflate_is_off_by_default(make_server: Any, run: Any) -> None:
    server = make_server()

    @server.on("connection")
    def on_connection(socket):
        @socket.on("go")
        def go(name):
            socket.emit(name, BIG)

        socket.emit("ready")

    line = _raw(f"http://127.0.0.1:{run(server.listen())}", "a,b")
    assert line["extensions"] == ""
    assert all(size > len(BIG) for _, size in line["got"]), line


def test_client_offers_per_message_deflate_to_socket_io(make_client: Any) -> None:
    ref = NodeServer(free_port(), ["--per-message-deflate=0"])
    try:
        for kw in ({}, {"per_message_deflate_threshold": 0}, {"per_message_deflate": False}):
            with make_client(ref.url, transports=["websocket"], **kw) as c:
                c.connect(timeout=TIMEOUT)
                blob = bytes(range(256)) * 100
                assert c.emit_with_ack("echo", {"big": BIG}, blob, timeout=TIMEOUT) == [{"big": BIG}, blob]
                c.disconnect()
    finally:
        ref.stop()
