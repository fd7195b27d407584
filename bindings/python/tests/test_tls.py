"""TLS on the server's own port (`tls_cert` / `tls_key`): a test CA made at test time
(trustme) signs the server's certificate; python-socketio's client and the official
JavaScript client trust that CA and connect over https and wss; `handshake["secure"]`
is true. Bad certificates or keys raise sio.BadArgument when the server is made.

python-socketio's AsyncClient (aiohttp) is the Python peer here: its sync Client reads
and writes one TLS socket from two threads (websocket-client over Python's ssl) and loses
the connection now and then under load, against the reference socket.io server over
https as well (1 run in about 40 on a loaded 2-core machine)."""
from __future__ import annotations

import asyncio
import pathlib
import ssl
from typing import Any, List, Optional, Tuple

import aiohttp
import pytest
import socketio
import trustme

import sio_rs as sio
from conftest import TIMEOUT, run_node


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def leaf(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("localhost", "127.0.0.1")


def chain_pem(leaf: trustme.LeafCert) -> bytes:
    return b"".join(blob.bytes() for blob in leaf.cert_chain_pems)


def answering(server):
    """`secure` is answered with (handshake["secure"], transport)."""

    @server.on("connection")
    def on_connection(socket):
        @socket.on("secure")
        def secure():
            return socket.handshake["secure"], socket.transport

    return server


def python_ask(url: str, ca_file: str, transports: Optional[List[str]] = None) -> Tuple[str, Any]:
    """python-socketio's AsyncClient trusting `ca_file` (for polling and WebSocket alike):
    connects, asks `secure`, disconnects; returns (its transport, the answer)."""

    async def ask() -> Tuple[str, Any]:
        ctx = ssl.create_default_context(cafile=ca_file)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as http:
            c = socketio.AsyncClient(reconnection=False, http_session=http)
            await c.connect(url, transports=transports, wait_timeout=TIMEOUT)
            try:
                return c.transport(), await c.call("secure", timeout=TIMEOUT)
            finally:
                await c.disconnect()

    return asyncio.run(ask())


def test_python_socketio_over_https_then_wss_and_over_wss(make_server, run, ca, leaf, tmp_path):
    server = answering(make_server(tls_cert=chain_pem(leaf), tls_key=leaf.private_key_pem.bytes()))
    port = run(server.listen("127.0.0.1", 0))
    ca_file = str(tmp_path / "ca.pem")
    ca.cert_pem.write_to_path(ca_file)
    for transports, want in ((["polling", "websocket"], "websocket"), (["websocket"], "websocket"), (["polling"], "polling")):
        transport, answer = python_ask(f"https://localhost:{port}", ca_file, transports)
        assert transport == want
        assert tuple(answer) == (True, want)

    # Without the CA the certificate is refused.
    async def untrusted() -> None:
        c = socketio.AsyncClient(reconnection=False)
        try:
            await c.connect(f"https://127.0.0.1:{port}", wait_timeout=TIMEOUT)
        finally:
            await c.disconnect()

    with pytest.raises(socketio.exceptions.ConnectionError):
        asyncio.run(untrusted())


def test_paths_pathlike_and_pem_text(make_server, run, ca, leaf, tmp_path):
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(chain_pem(leaf))
    leaf.private_key_pem.write_to_path(str(key_file))
    ca_file = str(tmp_path / "ca.pem")
    ca.cert_pem.write_to_path(ca_file)
    for cert, key in (
        (str(cert_file), pathlib.Path(key_file)),
        (chain_pem(leaf).decode(), leaf.private_key_pem.bytes().decode()),
    ):
        server = answering(make_server(tls_cert=cert, tls_key=key))
        _, answer = python_ask(f"https://127.0.0.1:{run(server.listen('127.0.0.1', 0))}", ca_file)
        assert tuple(answer) == (True, "websocket")


JS_SCRIPT = r"""
const fs = require("fs");
const { io } = require("socket.io-client");
const [caFile, url] = process.argv.slice(-2);
const out = (o) => console.log(JSON.stringify(o));
const ask = (transports) => new Promise((resolve) => {
  const s = io(url, { ca: fs.readFileSync(caFile), transports, forceNew: true, reconnection: false });
  s.on("connect_error", (e) => { out({ ev: "connect_error", message: e.message }); process.exit(1); });
  const go = () => s.timeout(5000).emit("secure", (err, secure, transport) => {
    out({ ev: "answer", transports, secure, transport, client: s.io.engine.transport.name });
    s.disconnect();
    resolve();
  });
  // polling first: ask once the upgrade to wss is done
  if (transports.length === 2) s.io.on("open", () => s.io.engine.once("upgrade", go));
  else s.on("connect", go);
});
ask(["polling", "websocket"]).then(() => ask(["websocket"])).then(() => process.exit(0));
setTimeout(() => { out({ ev: "timeout" }); process.exit(2); }, 15000);
"""


def test_official_js_client_over_https_and_wss(make_server, run, ca, leaf, tmp_path):
    server = answering(make_server(tls_cert=chain_pem(leaf), tls_key=leaf.private_key_pem.bytes()))
    ca_file = str(tmp_path / "ca.pem")
    ca.cert_pem.write_to_path(ca_file)
    lines = run_node(JS_SCRIPT, ca_file, f"https://localhost:{run(server.listen('127.0.0.1', 0))}")
    answers = [l for l in lines if l["ev"] == "answer"]
    assert [(a["secure"], a["transport"], a["client"]) for a in answers] == [(True, "websocket", "websocket")] * 2, lines


def test_bad_certificates_and_keys_raise_bad_argument(ca, leaf, tmp_path):
    cert, key = chain_pem(leaf), leaf.private_key_pem.bytes()
    with pytest.raises(sio.BadArgument, match='"tls_cert": needs tls_key'):
        sio.Server(tls_cert=cert)
    with pytest.raises(sio.BadArgument, match='"tls_key": needs tls_cert'):
        sio.Server(tls_key=key)
    with pytest.raises(sio.BadArgument, match='"tls_cert": invalid certificate PEM'):
        sio.Server(tls_cert=b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n", tls_key=key)
    missing = str(tmp_path / "missing.pem")
    with pytest.raises(sio.BadArgument, match='"tls_key": cannot read'):
        sio.AsyncServer(tls_cert=cert, tls_key=missing)
    other = ca.issue_cert("localhost").private_key_pem.bytes()
    with pytest.raises(sio.BadArgument, match='"tls_key": the private key does not match'):
        sio.Server(tls_cert=cert, tls_key=other)
    with pytest.raises(sio.BadArgument, match='"tls_cert": must be a PEM file path'):
        sio.Server(tls_cert=1, tls_key=key)  # type: ignore[arg-type]
