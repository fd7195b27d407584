"""`serializer="msgpack"`: socket.io-msgpack-parser's packets (python-socketio's
`serializer='msgpack'`), on sio.Server / sio.AsyncServer and sio.Client / sio.AsyncClient,
against real peers: python-socketio's AsyncClient and AsyncServer (with the `msgpack`
package), socket.io-client in Node with `socket.io-msgpack-parser`, and the reference Node
server (tests/interop/reference-server.js `--parser msgpack`). Binary stays binary at any
depth (no placeholders); a peer speaking the other format does not connect."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Tuple

import pytest
import socketio
from socketio.msgpack_packet import MsgPackPacket

import sio_rs as sio
from conftest import TIMEOUT, NodeServer, PySocketIOServer, Recorder, after, free_port, run_node

TRANSPORTS = ["polling", "websocket"]

# Nested binary in every direction: bytes at the top level, in lists and in dicts.
PAYLOAD = ("text", 42, 1.5, True, None, b"\x00\xffbin", {"nested": [b"\x01", {"k": b"\x02\x03", "s": "v"}]})


def msgpack_server(make_server: Any, run: Any, rec: Recorder) -> Tuple[Any, str]:
    """A msgpack sio server: `/` echoes (and records) events, `ask` makes the server ask
    the client (`question`, with an ack) and answers with the client's reply; `push` emits
    nested binary to the client; `/chat` answers `whoami` with its namespace and bytes."""
    server = make_server(serializer="msgpack")

    @server.on("connection")
    def on_connection(socket):
        rec.record("connection", socket.id, socket.transport)

        @socket.on("echo")
        def echo(*args):
            rec.record("echo", *args)
            return args

        @socket.on("ask")
        def ask(n, blob):
            def answered(reply):
                rec.record("answer", reply)
                return tuple(reply)

            # emitted before the (blocking, for sio.Server) wait: goes out while it waits
            socket.emit("asking", b"\x00")
            return after(socket.emit_with_ack("question", n, {"blob": blob}, timeout=TIMEOUT), answered)

        @socket.on("push")
        def push():
            socket.emit("pushed", {"deep": [b"\x07", {"b": b"\x08"}]}, b"\x09")

    chat = server.of("/chat")

    @chat.on("whoami")
    def whoami(socket, blob):
        return socket.namespace, blob + b"!"

    return server, f"http://127.0.0.1:{run(server.listen())}"


# --------------------------------------------------------------------- python-socketio client
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_python_socketio_msgpack_client(make_server, run, transport):
    rec = Recorder()
    _server, url = msgpack_server(make_server, run, rec)

    async def client() -> Dict[str, Any]:
        c = socketio.AsyncClient(serializer="msgpack", reconnection=False)
        got: Dict[str, Any] = {}
        pushed: "asyncio.Future[Tuple[Any, ...]]" = asyncio.get_running_loop().create_future()

        @c.on("question")
        async def question(n, obj):
            return n * 2, {"back": obj["blob"][::-1]}

        @c.on("pushed")
        async def on_pushed(*args):
            pushed.set_result(args)

        await c.connect(url, namespaces=["/", "/chat"], transports=[transport], wait_timeout=TIMEOUT)
        try:
            got["transport"] = c.transport()
            got["sid"] = c.get_sid("/")
            got["echo"] = await c.call("echo", PAYLOAD, timeout=TIMEOUT)
            got["ask"] = await c.call("ask", (21, b"\x01\x02\x03"), timeout=TIMEOUT)
            await c.emit("push")
            got["pushed"] = await asyncio.wait_for(pushed, TIMEOUT)
            got["chat"] = await c.call("whoami", b"me", namespace="/chat", timeout=TIMEOUT)
        finally:
            await c.disconnect()
        return got

    got = asyncio.run(client())
    assert got["transport"] == transport
    sid, server_transport = rec.wait("connection")
    assert sid == got["sid"]
    assert server_transport == transport
    # client → server: the handler got bytes (not placeholders), and they came back as bytes
    assert rec.wait("echo") == PAYLOAD
    assert got["echo"] == PAYLOAD
    # server → client with an ack: the client answered with nested bytes
    assert rec.wait("answer") == ([42, {"back": b"\x03\x02\x01"}],)
    assert got["ask"] == (42, {"back": b"\x03\x02\x01"})
    assert got["pushed"] == ({"deep": [b"\x07", {"b": b"\x08"}]}, b"\x09")
    # a second namespace over the same connection
    assert got["chat"] == ("/chat", b"me!")


# --------------------------------------------------------------------- socket.io-client (Node)
JS_CLIENT = r"""
const { io } = require("socket.io-client");
const parser = require("socket.io-msgpack-parser");
const [transport, url] = process.argv.slice(-2);
const out = (o) => console.log(JSON.stringify(o));
// Buffers as {"$bin": [...]}: a placeholder object or a plain array would not compare equal.
const show = (v) => Buffer.isBuffer(v) ? { $bin: [...v] }
  : Array.isArray(v) ? v.map(show)
  : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, show(x)]))
  : v;
const opts = { parser, transports: [transport] };
const root = io(url, { ...opts, auth: { token: "js" } });
const chat = io(url + "/chat", opts);
root.on("question", (n, obj, ack) => ack(n * 2, { back: Buffer.from(obj.blob).reverse() }));
root.on("pushed", (...args) => out({ ev: "pushed", args: show(args) }));
root.on("connect_error", (e) => { out({ ev: "connect_error", message: e.message }); process.exit(1); });
const fail = (what) => (err) => { out({ ev: "error", what, message: String(err) }); process.exit(3); };
Promise.all([new Promise((r) => root.on("connect", r)), new Promise((r) => chat.on("connect", r))]).then(async () => {
  out({ ev: "connected", id: root.id, transport: root.io.engine.transport.name });
  const echo = await root.timeout(5000).emitWithAck("echo", "hi", { nested: [Buffer.from([1, 2, 3]), { deep: Buffer.from([4]) }] }, 7).catch(fail("echo"));
  out({ ev: "echo", reply: show(echo) });
  root.emit("push");
  const ask = await root.timeout(5000).emitWithAck("ask", 21, Buffer.from([1, 2])).catch(fail("ask"));
  out({ ev: "ask", reply: show(ask) });
  const who = await chat.timeout(5000).emitWithAck("whoami", Buffer.from("js")).catch(fail("whoami"));
  out({ ev: "whoami", reply: show(who) });
  root.disconnect();
  chat.disconnect();
  process.exit(0);
});
setTimeout(() => { out({ ev: "timeout" }); process.exit(2); }, 15000);
"""


def _bin(b: bytes) -> Dict[str, List[int]]:
    return {"$bin": list(b)}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_js_client_with_msgpack_parser(make_server, run, transport):
    rec = Recorder()
    _server, url = msgpack_server(make_server, run, rec)
    lines = run_node(JS_CLIENT, transport, url)
    by_ev: Dict[str, Any] = {}
    for line in lines:
        by_ev.setdefault(line["ev"], line)
    assert set(by_ev) == {"connected", "echo", "pushed", "ask", "whoami"}, lines
    assert by_ev["connected"]["transport"] == transport
    sid, server_transport = rec.wait("connection")
    assert (sid, server_transport) == (by_ev["connected"]["id"], transport)
    args = ("hi", {"nested": [b"\x01\x02\x03", {"deep": b"\x04"}]}, 7)
    assert rec.wait("echo") == args
    # emitWithAck resolves with the first ack argument (socket.io-client's)
    assert by_ev["echo"]["reply"] == "hi"
    assert by_ev["pushed"]["args"] == [{"deep": [_bin(b"\x07"), {"b": _bin(b"\x08")}]}, _bin(b"\x09")]
    assert rec.wait("answer") == ([42, {"back": b"\x02\x01"}],)
    assert by_ev["ask"]["reply"] == 42
    assert by_ev["whoami"]["reply"] == "/chat"


JS_CLIENT_ALL_ARGS = r"""
const { io } = require("socket.io-client");
const parser = require("socket.io-msgpack-parser");
const url = process.argv[process.argv.length - 1];
const show = (v) => Buffer.isBuffer(v) ? { $bin: [...v] }
  : Array.isArray(v) ? v.map(show)
  : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, show(x)]))
  : v;
const chat = io(url + "/chat", { parser, transports: ["websocket"] });
chat.on("connect", () => {
  chat.timeout(5000).emit("whoami", Buffer.from("js"), (err, ...reply) => {
    console.log(JSON.stringify({ ev: "whoami", err: err && err.message, reply: show(reply) }));
    process.exit(0);
  });
});
setTimeout(() => { console.log(JSON.stringify({ ev: "timeout" })); process.exit(2); }, 15000);
"""


def test_js_client_gets_every_ack_argument_binary(make_server, run):
    rec = Recorder()
    _server, url = msgpack_server(make_server, run, rec)
    (line,) = run_node(JS_CLIENT_ALL_ARGS, url)
    assert line == {"ev": "whoami", "err": None, "reply": ["/chat", _bin(b"js!")]}


# --------------------------------------------------------------------- sio client, Node server
@pytest.fixture
def msgpack_ref_server():
    s = NodeServer(free_port(), ["--parser", "msgpack"])
    yield s
    s.stop()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_client_against_reference_server_with_msgpack(msgpack_ref_server, make_client, transport):
    rec = Recorder()
    c = make_client(
        msgpack_ref_server.url,
        namespaces=["/", "/admin"],
        auth={"token": "secret"},
        transports=[transport],
        serializer="msgpack",
        reconnection=False,
    )
    for ns in ("/", "/admin"):
        c.on("welcome", lambda w, _ns=ns: rec.record("welcome" + _ns, w), namespace=ns)
    c.on("echo", rec.handler("echo-event"))

    @c.on("question")
    def question(arg):
        return {"n": arg["n"] * 2, "blob": arg["blob"][::-1]}

    c.connect(timeout=TIMEOUT)
    (welcome,) = rec.wait("welcome/")
    assert welcome["id"] == c.id
    assert welcome["auth"] == {"token": "secret"}
    assert welcome["transport"] == transport
    (admin,) = rec.wait("welcome/admin")
    assert admin["ns"] == "/admin"
    args = ["x", b"\x00\x01", {"b": [b"\x02", {"c": b"\x03"}]}]
    # the server acks with the same arguments and also emits `echo` back
    assert c.emit_with_ack("echo", *args, timeout=TIMEOUT) == args
    assert rec.wait("echo-event") == tuple(args)
    # server → client with an ack (the server's emitWithAck), answered with nested bytes
    assert c.call("ask", "question", {"n": 21, "blob": b"\x01\x02"}, timeout=TIMEOUT) == (None, [{"n": 42, "blob": b"\x02\x01"}])
    assert c.call("transport", timeout=TIMEOUT) == transport
    # the second namespace, admitted by its middleware (auth went through msgpack)
    assert c.call("echo", b"\x09", namespace="/admin", timeout=TIMEOUT) == b"\x09"
    c.emit("disconnect-me")
    assert msgpack_ref_server.wait_log(ev="disconnect")["reason"] == "server namespace disconnect"


def test_client_refused_by_reference_server_with_msgpack(msgpack_ref_server, make_client):
    """CONNECT_ERROR's data (a map) goes through msgpack too."""
    c = make_client(msgpack_ref_server.url + "/admin", auth={"token": "wrong"}, serializer="msgpack", reconnection=False)
    with pytest.raises(sio.ConnectionError) as info:
        c.connect(timeout=TIMEOUT)
    assert (info.value.message, info.value.data, info.value.active) == ("unauthorized", {"reason": "bad token"}, False)


@pytest.fixture
def msgpack_py_server(rec):
    # Before make_client in a test's arguments: stopped after its clients are closed.
    s = PySocketIOServer(rec, serializer="msgpack").start()
    yield s
    s.stop()


def test_client_against_python_socketio_server_with_msgpack(msgpack_py_server, make_client):
    rec = msgpack_py_server.rec
    c = make_client(msgpack_py_server.url, namespaces=["/", "/other"], serializer="msgpack", reconnection=False)

    @c.on("question")
    def question(blob):
        return {"back": blob[::-1], "list": [b"\x00"]}

    c.connect(timeout=TIMEOUT)
    assert c.call("echo", *PAYLOAD, timeout=TIMEOUT) == PAYLOAD
    assert c.call("ask", "question", b"\x01\x02", timeout=TIMEOUT) == {"back": b"\x02\x01", "list": [b"\x00"]}
    assert c.call("echo", b"\x05", namespace="/other", timeout=TIMEOUT) == b"\x05"
    namespaces = {rec.wait("py:connect")[0], rec.wait("py:connect")[0]}
    assert namespaces == {"/", "/other"}


# --------------------------------------------------------------------- mismatches and bad values
def test_default_client_does_not_connect_to_msgpack_server(make_server, run):
    rec = Recorder()
    _server, url = msgpack_server(make_server, run, rec)
    # python-socketio's default serializer, over WebSocket and over polling
    for transports in (["websocket"], ["polling"]):
        c = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            c.connect(url, transports=transports, wait_timeout=5)
        c.disconnect()
    # sio's own client with the default serializer
    with sio.Client(url, reconnection=False, transports=["websocket"]) as plain:
        with pytest.raises((sio.ConnectionError, sio.TimeoutError)):
            plain.connect(timeout=5)
        assert not plain.connected
    # the server still serves a msgpack client, and never saw the others
    with sio.Client(url, reconnection=False, serializer="msgpack") as good:
        good.connect(timeout=TIMEOUT)
        assert good.call("echo", b"ok", timeout=TIMEOUT) == b"ok"
        sid, _transport = rec.wait("connection")
        assert sid == good.id
    assert len(rec.all("connection")) == 1


def test_msgpack_client_does_not_connect_to_default_server(make_server, run):
    server = make_server()
    server.on("connection", lambda socket: None)
    url = f"http://127.0.0.1:{run(server.listen())}"
    with sio.Client(url, reconnection=False, serializer="msgpack", transports=["websocket"]) as c:
        with pytest.raises((sio.ConnectionError, sio.TimeoutError)):
            c.connect(timeout=5)
        assert not c.connected
    with sio.Client(url, reconnection=False) as ok:  # the default one still connects
        ok.connect(timeout=TIMEOUT)
        assert ok.connected


class CustomPacket(MsgPackPacket):
    pass


@pytest.mark.parametrize("serializer", ["pickle", "cbor", "MsgPack", "", 42, MsgPackPacket, CustomPacket])
def test_unsupported_serializers_raise(serializer):
    for make in (
        lambda: sio.Server(serializer=serializer),
        lambda: sio.AsyncServer(serializer=serializer),
        lambda: sio.Client("http://127.0.0.1:1", serializer=serializer),
        lambda: sio.AsyncClient("http://127.0.0.1:1", serializer=serializer),
    ):
        with pytest.raises(sio.BadArgument, match="unsupported serializer") as info:
            make()
        assert isinstance(info.value, TypeError)


def test_supported_serializers_are_accepted():
    for serializer in ("default", "msgpack"):
        sio.Server(serializer=serializer).close()
        sio.Client("http://127.0.0.1:1", serializer=serializer).close()
