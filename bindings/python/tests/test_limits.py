"""Server options that reach the core's listener and sessions, over raw sockets: the
header limit (431), the idle timeout (408), CORS (none by default), the attachment limit;
and the errors of bad or contradictory options. Each server test runs with `sio.Server`
and `sio.AsyncServer` (the `make_server` fixture)."""
from __future__ import annotations

import inspect
import socket
from typing import Dict, Optional, Tuple

import pytest
import websocket  # websocket-client, pinned in tests/interop/python/requirements.txt

import sio_rs as sio
from sio_rs import _sio
from sio_rs._options import HOST_KEYWORDS
from sio_rs.server import _server_options
from conftest import TIMEOUT, Recorder

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


def listen(make_server, run, **options) -> Tuple[object, int]:
    server = make_server(**options)
    return server, run(server.listen("127.0.0.1", 0))


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes the connection (a reset after its answer too)."""
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def get(port: int, path: str = HANDSHAKE, headers: Optional[Dict[str, str]] = None) -> Tuple[str, Dict[str, str]]:
    """A raw HTTP/1.1 GET (Connection: close): the status line and the headers (lower-case names)."""
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = read_all(s).split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    fields = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return head[0], fields


def test_max_header_size_answers_431(make_server, run):
    _, port = listen(make_server, run, max_header_size=8192)
    status, _ = get(port, headers={"X-Big": "a" * 10_000})
    assert status.startswith("HTTP/1.1 431"), status
    # Under the limit the same server answers the handshake.
    status, _ = get(port, headers={"X-Small": "a" * 4_000})
    assert status.startswith("HTTP/1.1 200"), status


def test_idle_timeout_answers_408_then_closes(make_server, run):
    _, port = listen(make_server, run, idle_timeout=0.3)
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        data = read_all(s)  # sends nothing; returns at EOF
    assert data.startswith(b"HTTP/1.1 408"), data


@pytest.mark.parametrize(
    "options, origin, allow, credentials",
    [
        ({}, "http://example.com", None, None),
        ({"cors_allowed_origins": "*"}, "http://example.com", "*", None),
        ({"cors_allowed_origins": ["http://a.test", "http://b.test"], "cors_credentials": True}, "http://b.test", "http://b.test", "true"),
        ({"cors_allowed_origins": ["http://a.test"], "cors_credentials": True}, "http://evil.test", None, None),
        ({"cors_allowed_origins": []}, "http://example.com", None, None),  # python-socketio's "no CORS"
    ],
    ids=["default-none", "any", "list-with-credentials", "list-other-origin", "empty-list"],
)
def test_cors_headers(make_server, run, options, origin, allow, credentials):
    _, port = listen(make_server, run, **options)
    status, headers = get(port, headers={"Origin": origin})
    assert status.startswith("HTTP/1.1 200"), status
    assert headers.get("access-control-allow-origin") == allow
    assert headers.get("access-control-allow-credentials") == credentials


@pytest.mark.parametrize(
    "cookie, want",
    [
        (None, None),
        (True, "io=SID; Path=/; HttpOnly; SameSite=Lax"),
        ("sticky", "sticky=SID; Path=/; HttpOnly; SameSite=Lax"),
        (
            {"name": "lb", "path": "/app", "SameSite": "Strict", "httponly": False, "secure": True, "max_age": 60},
            "lb=SID; Path=/app; Max-Age=60; Secure; SameSite=Strict",
        ),
    ],
    ids=["none-by-default", "true", "name", "dict"],
)
def test_session_cookie(make_server, run, cookie, want):
    """python-socketio's `cookie`: the sticky-session cookie on the handshake."""
    _, port = listen(make_server, run, cookie=cookie)
    status, headers = get(port)
    assert status.startswith("HTTP/1.1 200"), status
    got = headers.get("set-cookie")
    if want is None:
        assert got is None
    else:
        assert got is not None and got.split("=", 1)[0] == want.split("=", 1)[0]
        sid = got.split("=", 1)[1].split(";", 1)[0]
        assert got == want.replace("SID", sid)


@pytest.mark.parametrize("cls", [sio.Server, sio.AsyncServer])
def test_bad_options_raise(cls):
    with pytest.raises(sio.BadArgument, match="unknown cookie attribute 'expires'"):
        cls(cookie={"expires": "never"})
    with pytest.raises(sio.BadArgument, match=r"option \"cookie\['samesite'\]\": \"none\" needs cookie\['secure'\]"):
        cls(cookie={"samesite": "none"})
    with pytest.raises(sio.BadArgument, match='"ping_interval": must be greater than zero'):
        cls(ping_interval=0)
    with pytest.raises(sio.BadArgument, match='"transports": unknown transport "x"'):
        cls(transports=["x"])
    with pytest.raises(sio.BadArgument, match='"transports": must not be empty'):
        cls(transports=[])
    with pytest.raises(sio.BadArgument, match='"max_header_size": must be a whole number'):
        cls(max_header_size=100)
    with pytest.raises(sio.BadArgument, match='"idle_timeout": must be a non-negative number'):
        cls(idle_timeout="soon")  # type: ignore[arg-type]
    with pytest.raises(sio.BadArgument, match='"max_attachments": unsupported value'):
        cls(max_attachments={"n": 1})  # type: ignore[arg-type]
    with pytest.raises(sio.BadArgument, match='"cors_credentials": needs cors_allowed_origins'):
        cls(cors_credentials=True)
    with pytest.raises(sio.BadArgument, match="unknown connection_state_recovery keys"):
        cls(connection_state_recovery={"max_disconnection": 1.0})
    # Not a python-socketio option we have: a TypeError, as for any unknown keyword.
    with pytest.raises(TypeError, match="async_mode"):
        cls(async_mode="threading")  # type: ignore[call-arg]
    with pytest.raises(TypeError):  # keyword only
        cls("/socket.io/")  # type: ignore[misc]


def test_every_core_option_is_a_keyword():
    """`sio.Server` has a keyword for every option of the core's table (a new core option
    fails here until it is added to the signature)."""
    params = inspect.signature(sio.Server.__init__).parameters
    every = {name: None for name in params if name != "self" and name not in HOST_KEYWORDS}
    every["connection_state_recovery"] = {}
    every["cookie"] = {}
    reached = {core for core, _, _ in _server_options(every)}
    assert reached == set(_sio.SERVER_OPTION_NAMES)


def _ws_connect(port: int) -> websocket.WebSocket:
    ws = websocket.create_connection(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", timeout=TIMEOUT)
    assert str(ws.recv()).startswith("0{")  # Engine.IO open
    ws.send("40")
    assert str(ws.recv()).startswith("40{")  # connected to "/"
    return ws


def _closed(ws: websocket.WebSocket) -> bool:
    """Whether the server closes `ws` (a close frame or EOF) before sending anything else."""
    try:
        while True:
            opcode, _ = ws.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return True
            if opcode not in (websocket.ABNF.OPCODE_PING, websocket.ABNF.OPCODE_PONG):
                return False
    except (websocket.WebSocketConnectionClosedException, ConnectionResetError):
        return True


@pytest.mark.parametrize("limit", [None, 1])
def test_max_attachments_reaches_the_core(make_server, run, limit):
    """A binary event declaring 2 attachments: delivered by default (10), a parse error with 1."""
    rec = Recorder()
    options = {} if limit is None else {"max_attachments": limit}
    server, port = listen(make_server, run, **options)

    @server.on("connection")
    def on_connection(s):
        s.on("pair", lambda a, b: rec.record("pair", a, b))
        s.on("disconnect", lambda reason: rec.record("disconnect", reason))

    ws = _ws_connect(port)
    try:
        ws.send('452-["pair",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
        if limit is None:
            ws.send_binary(b"\x01")
            ws.send_binary(b"\x02")
            assert rec.wait("pair") == (b"\x01", b"\x02")
        else:
            assert _closed(ws), "the server kept the connection"
            assert rec.wait("disconnect") == ("parse error",)
    finally:
        ws.close()
