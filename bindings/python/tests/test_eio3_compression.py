"""`allow_eio3` (socket.io-client 2.x from npm, the alias socket.io-client-v2, against
sio.Server / sio.AsyncServer) and `http_compression` / `compression_threshold` (raw polling
requests asking for gzip)."""
from __future__ import annotations

import gzip
import urllib.request
from typing import Any, Optional, Tuple

import pytest

import sio_rs as sio
from conftest import TIMEOUT, after, run_node

# Connects, echoes binary with an ack, answers the server's question; prints what it saw.
V2_CLIENT = r"""
const io = require("socket.io-client-v2");
const [url, transport] = process.argv.slice(-2);
const s = io(url, { forceNew: true, reconnection: false, transports: [transport] });
const done = (line) => { console.log(JSON.stringify(line)); s.close(); process.exit(0); };
setTimeout(() => done({ error: "timeout" }), 10000);
s.on("connect_error", (e) => done({ error: String(e && e.message || e) }));
s.on("question", (b, ack) => ack("answer", b));
s.on("connect", () => {
  s.emit("echo", { blob: Buffer.from([1, 2, 255]) }, (back) => done({ id: s.id, bytes: [...back.blob] }));
});
"""


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_socket_io_client_2_with_allow_eio3(make_server: Any, run: Any, rec: Any, transport: str) -> None:
    server = make_server(allow_eio3=True)

    @server.on("connection")
    def on_connection(socket):
        rec.record("connection", socket.id, socket.handshake["auth"])

        @socket.on("echo")
        def echo(data):
            return after(socket.emit_with_ack("question", b"\x07", timeout=TIMEOUT), lambda reply: (rec.record("answer", *reply), data)[1])

    url = f"http://127.0.0.1:{run(server.listen())}"
    (line,) = run_node(V2_CLIENT, url, transport)
    assert line.get("bytes") == [1, 2, 255], line
    sid, auth = rec.wait("connection")
    assert sid == line["id"], "the id socket.io-client 2.x derives"
    assert auth == {}
    assert rec.wait("answer") == ("answer", b"\x07")


def test_without_allow_eio3_socket_io_client_2_is_refused(server: Any, run: Any) -> None:
    url = f"http://127.0.0.1:{run(server.listen())}"
    (line,) = run_node(V2_CLIENT, url, "polling")
    assert "error" in line, line


def _get(url: str, encoding: Optional[str]) -> Tuple[Optional[str], bytes]:
    req = urllib.request.Request(url, headers={"Accept-Encoding": encoding} if encoding else {})
    with urllib.request.urlopen(req, timeout=TIMEOUT) as res:
        return res.headers.get("Content-Encoding"), res.read()


@pytest.mark.parametrize(
    ("options", "coding"),
    [({"compression_threshold": 10}, "gzip"), ({}, None), ({"http_compression": False}, None)],
)
def test_http_compression_of_polling_responses(make_server: Any, run: Any, options: dict, coding: Optional[str]) -> None:
    server = make_server(**options)
    port = run(server.listen())
    got, body = _get(f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling", "gzip, deflate")
    assert got == coding
    text = gzip.decompress(body) if coding else body
    # the open packet (~100 bytes): over a threshold of 10, under the default 1024
    assert text.startswith(b'0{"sid"')


def test_compression_threshold_needs_http_compression() -> None:
    with pytest.raises(sio.BadArgument, match="compression_threshold"):
        sio.Server(http_compression=False, compression_threshold=10)
