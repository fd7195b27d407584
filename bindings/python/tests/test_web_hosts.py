"""The server inside the web servers Python users already run, with no port of its own:
`sio.ASGIApp` under a real uvicorn beside a FastAPI app (with `sio.AsyncServer` and with
the blocking `sio.Server`), and `AsyncServer.attach` on a real aiohttp application. Peers:
the official JS client (socket.io-client in Node) and python-socketio's AsyncClient, over
polling only, WebSocket only, and polling upgraded to WebSocket."""
from __future__ import annotations

import asyncio
import http.client
import json
import socket
import threading
from typing import Any, Dict, List, Optional, Tuple

import pytest

import sio_rs as sio
from conftest import TIMEOUT, LoopThread, Recorder, run_node

HOSTS = ["uvicorn-async", "uvicorn-sync", "aiohttp"]
MODES = ["polling", "websocket", "upgrade"]
# What each mode ends on.
FINAL_TRANSPORT = {"polling": "polling", "websocket": "websocket", "upgrade": "websocket"}


def install(server: Any, rec: Recorder) -> None:
    """Records connections (with the handshake), upgrades and disconnections; welcomes
    each socket with an emit; answers `echo` with its arguments."""

    @server.on("connection")
    def connection(socket: Any) -> None:
        rec.record("connection", socket.id, socket.handshake)
        socket.emit("welcome", "hello", socket.id)
        socket.on("echo", lambda *args: args)

    server.on("disconnect", lambda socket, reason: rec.record("disconnect", socket.id, str(reason)))
    server.on_upgrade(lambda conn_id, transport: rec.record("upgrade", transport))


class WebHost:
    """A real web server on a free port of 127.0.0.1, on a loop thread, serving `server`
    (made here) beside an application of its own: `GET /api/hello` answers JSON."""

    def __init__(self, kind: str, rec: Recorder, asgi_other: bool = True, **options: Any) -> None:
        self.kind = kind
        self.rec = rec
        self.loop = LoopThread()
        self.server: Any = sio.Server(**options) if kind == "uvicorn-sync" else sio.AsyncServer(**options)
        self._asgi_other = asgi_other
        # Bound and listening before the web server starts: early connections wait.
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._task: Any = None
        self._uvicorn: Any = None
        self._runner: Any = None

    def asgi_app(self, **kwargs: Any) -> Any:
        from contextlib import asynccontextmanager

        from fastapi import FastAPI

        rec = self.rec

        @asynccontextmanager
        async def lifespan(app: Any) -> Any:
            rec.record("api-startup")
            yield
            rec.record("api-shutdown")

        api = FastAPI(lifespan=lifespan)

        @api.get("/api/hello")
        def hello() -> Dict[str, str]:
            return {"hello": "fastapi"}

        return sio.ASGIApp(self.server, api if self._asgi_other else None, **kwargs)

    def start(self, **app_kwargs: Any) -> "WebHost":
        if self.kind.startswith("uvicorn"):
            import uvicorn

            app = self.asgi_app(
                on_startup=lambda: self.rec.record("sio-startup"),
                on_shutdown=lambda: self.rec.record("sio-shutdown"),
                **app_kwargs,
            )
            self._uvicorn = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))

            async def serve() -> None:
                self._task = asyncio.ensure_future(self._uvicorn.serve(sockets=[self._sock]))

            self.loop.run(serve())
            self.rec.wait("sio-startup")  # the lifespan ran: the server is serving
        else:
            from aiohttp import web

            async def hello(request: Any) -> Any:
                return web.json_response({"hello": "aiohttp"})

            async def serve() -> None:
                app = web.Application()
                self.server.attach(app, **app_kwargs)
                app.router.add_get("/api/hello", hello)
                self._runner = web.AppRunner(app)
                await self._runner.setup()
                await web.SockSite(self._runner, self._sock).start()

            self.loop.run(serve())
        return self

    def run(self, value: Any) -> Any:
        """A coroutine run on the web server's loop (the AsyncServer's)."""
        return self.loop.run(value)

    def stop(self) -> None:
        async def down() -> None:
            # The server first: its long polls are answered, its WebSockets closed.
            if isinstance(self.server, sio.AsyncServer):
                await self.server.close()
            else:
                await asyncio.get_running_loop().run_in_executor(None, self.server.close)
            if self._uvicorn is not None:
                self._uvicorn.should_exit = True
                await self._task
            if self._runner is not None:
                await self._runner.cleanup()

        try:
            self.loop.run(down())
        finally:
            self.loop.stop()
            self._sock.close()


@pytest.fixture(params=HOSTS)
def host_kind(request: Any) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def web(host_kind: str, rec: Recorder) -> Any:
    h = WebHost(host_kind, rec)
    install(h.server, rec)
    h.start()
    yield h
    h.stop()


def get(url: str, path: str, headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, str], bytes]:
    host, port = url.rsplit("//", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
    try:
        conn.request("GET", path, headers=headers or {})
        res = conn.getresponse()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read()
    finally:
        conn.close()


def check_handshake(rec: Recorder, sid: str, header: str) -> None:
    got_sid, handshake = rec.wait("connection")
    assert got_sid == sid
    assert handshake["address"] == "127.0.0.1", handshake  # the peer, not the listener
    assert handshake["headers"]["x-test"] == header, handshake["headers"]
    assert handshake["url"].startswith("/socket.io/?") and "EIO=4" in handshake["url"], handshake["url"]


# ------------------------------------------------------------------ the JS client

JS_SCRIPT = r"""
const { io } = require("socket.io-client");
const [url, mode] = process.argv.slice(-2);
const out = (o) => console.log(JSON.stringify(o));
const opts = { extraHeaders: { "x-test": "js" }, reconnection: false };
if (mode !== "upgrade") opts.transports = [mode];
const s = io(url, opts);
const upgraded = new Promise((resolve) => {
  if (mode !== "upgrade") return resolve(null);
  // Before the probe can finish: the engine emits "open" before it starts probing.
  s.io.on("open", () => s.io.engine.on("upgrade", (t) => resolve(t.name)));
});
const welcome = new Promise((resolve) => s.on("welcome", (...args) => resolve(args)));
s.on("connect_error", (e) => { out({ ev: "connect_error", message: e.message }); process.exit(1); });
Promise.all([welcome, upgraded, new Promise((r) => s.on("connect", r))]).then(([w, up]) => {
  s.timeout(5000).emit("echo", "hi", { n: 1 }, Buffer.from([1, 2, 3]), (err, ...reply) => {
    if (err) { out({ ev: "ack-error", message: err.message }); process.exit(3); }
    out({ ev: "done", id: s.id, welcome: w, upgraded: up, transport: s.io.engine.transport.name,
          reply: [reply[0], reply[1], [...reply[2]], Buffer.isBuffer(reply[2])] });
    s.disconnect();  // Node exits once the DISCONNECT is written (no process.exit: a poll in flight would be cut)
  });
});
setTimeout(() => { out({ ev: "timeout" }); process.exit(2); }, 15000).unref();
"""


@pytest.mark.parametrize("mode", MODES)
def test_js_client(web: WebHost, rec: Recorder, mode: str) -> None:
    lines = run_node(JS_SCRIPT, web.url, mode)
    done = [l for l in lines if l["ev"] == "done"]
    assert done, lines
    d = done[0]
    assert d["welcome"] == ["hello", d["id"]]
    assert d["reply"] == ["hi", {"n": 1}, [1, 2, 3], True]
    assert d["transport"] == FINAL_TRANSPORT[mode]
    if mode == "upgrade":
        assert d["upgraded"] == "websocket"
        assert rec.wait("upgrade") == ("websocket",)
    check_handshake(rec, d["id"], "js")
    assert rec.wait("disconnect") == (d["id"], "client namespace disconnect")


# ------------------------------------------------------------------ python-socketio

async def py_client_session(url: str, mode: str) -> Dict[str, Any]:
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    welcome: "asyncio.Future[Any]" = asyncio.get_running_loop().create_future()

    @client.on("welcome")
    async def on_welcome(*args: Any) -> None:
        if not welcome.done():
            welcome.set_result(list(args))

    transports = ["polling", "websocket"] if mode == "upgrade" else [mode]
    await client.connect(url, transports=transports, headers={"X-Test": "py"})
    try:
        got = await asyncio.wait_for(welcome, TIMEOUT)
        reply = await client.call("echo", ("hi", {"n": 1}, b"\x01\x02\x03"), timeout=TIMEOUT)
        return {"id": client.get_sid(), "welcome": got, "reply": list(reply), "transport": client.transport()}
    finally:
        await client.disconnect()


@pytest.mark.parametrize("mode", MODES)
def test_python_socketio_client(web: WebHost, rec: Recorder, mode: str) -> None:
    loop = LoopThread()
    try:
        d = loop.run(py_client_session(web.url, mode))
    finally:
        loop.stop()
    assert d["welcome"] == ["hello", d["id"]]
    assert d["reply"] == ["hi", {"n": 1}, b"\x01\x02\x03"]
    assert d["transport"] == FINAL_TRANSPORT[mode]
    if mode == "upgrade":
        assert rec.wait("upgrade") == ("websocket",)
    check_handshake(rec, d["id"], "py")
    # python-socketio queues its DISCONNECT and closes the transport: either may come first
    sid, reason = rec.wait("disconnect")
    assert sid == d["id"]
    assert reason in ("client namespace disconnect", "transport close")


# ------------------------------------------------------------------ the other application

def test_other_app_shares_the_port(web: WebHost) -> None:
    status, _, body = get(web.url, "/api/hello")
    assert status == 200
    assert json.loads(body) == {"hello": "aiohttp" if web.kind == "aiohttp" else "fastapi"}
    # Not the server's path: the other application's 404, not the server's 400.
    status, headers, body = get(web.url, "/socket.ioX/?EIO=4&transport=polling")
    assert status == 404
    if web.kind != "aiohttp":
        assert json.loads(body) == {"detail": "Not Found"}  # FastAPI's


UNKNOWN_SID = {"code": 1, "message": "Session ID unknown"}


def test_unknown_sid_polling(web: WebHost) -> None:
    status, headers, body = get(web.url, "/socket.io/?EIO=4&transport=polling&sid=nope")
    assert status == 400
    assert json.loads(body) == UNKNOWN_SID


def test_unknown_sid_websocket(web: WebHost) -> None:
    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
    }
    status, headers, body = get(web.url, "/socket.io/?EIO=4&transport=websocket&sid=nope", upgrade)
    assert status == 400
    assert json.loads(body) == UNKNOWN_SID


def test_own_port_keeps_working_beside_the_host(web: WebHost, rec: Recorder) -> None:
    """One server, two doors: clients of its own port and of the web server's see each
    other's broadcasts."""
    if isinstance(web.server, sio.AsyncServer):
        own = web.run(web.server.listen("127.0.0.1", 0))
    else:
        own = web.server.listen("127.0.0.1", 0)

    @web.server.on("shout")
    def shout(socket: Any, text: str) -> None:
        socket.broadcast.emit("heard", text)

    async def both() -> Tuple[Any, Any]:
        import socketio

        heard: "asyncio.Future[Any]" = asyncio.get_running_loop().create_future()
        a, b = socketio.AsyncClient(reconnection=False), socketio.AsyncClient(reconnection=False)
        b.on("heard", lambda text: heard.done() or heard.set_result(text))
        await a.connect(web.url, transports=["websocket"])
        await b.connect(f"http://127.0.0.1:{own}", transports=["websocket"])
        try:
            await a.emit("shout", "through the host")
            return a.get_sid(), await asyncio.wait_for(heard, TIMEOUT)
        finally:
            await a.disconnect()
            await b.disconnect()

    loop = LoopThread()
    try:
        _, text = loop.run(both())
    finally:
        loop.stop()
    assert text == "through the host"


# ------------------------------------------------------------------ lifespan and paths

@pytest.mark.parametrize("host_kind", ["uvicorn-async"])
def test_lifespan_passes_through_to_the_other_app(host_kind: str, rec: Recorder) -> None:
    h = WebHost(host_kind, rec).start()
    h.stop()
    order = [name for name, _ in rec._seen]
    assert order == ["api-startup", "sio-startup", "sio-shutdown", "api-shutdown"]


@pytest.mark.parametrize("host_kind", ["uvicorn-async", "uvicorn-sync"])
def test_asgi_app_alone_answers_404_and_runs_the_lifespan(host_kind: str, rec: Recorder) -> None:
    h = WebHost(host_kind, rec, asgi_other=False)
    install(h.server, rec)
    h.start()
    try:
        status, _, body = get(h.url, "/api/hello")
        assert (status, body) == (404, b"Not Found")
        status, _, body = get(h.url, "/socket.io/?EIO=4&transport=polling")
        assert status == 200 and body.startswith(b"0{"), body  # the Engine.IO handshake
    finally:
        h.stop()
    assert [name for name, _ in rec._seen] == ["sio-startup", "sio-shutdown"]


@pytest.mark.parametrize("host_kind", HOSTS)
def test_socketio_path_follows_the_server_path(host_kind: str, rec: Recorder) -> None:
    h = WebHost(host_kind, rec, path="/custom/")
    with pytest.raises(sio.BadArgument, match="path"):
        if host_kind == "aiohttp":
            from aiohttp import web

            h.server.attach(web.Application())
        else:
            h.asgi_app()
    h.start(socketio_path="custom")
    try:
        status, _, body = get(h.url, "/custom/?EIO=4&transport=polling")
        assert status == 200 and body.startswith(b"0{"), body
        status, _, _ = get(h.url, "/socket.io/?EIO=4&transport=polling")
        assert status == 404
    finally:
        h.stop()


def test_many_messages_both_ways_in_order(web: WebHost, rec: Recorder) -> None:
    """More WebSocket messages than the send credit (16) each way, in order: the host
    reports what it wrote and pauses reading while the session is behind. (Not over
    polling with python-socketio: its client refuses a payload of more than 16 packets,
    whatever the server.)"""
    n = 300

    @web.server.on("burst")
    def burst(socket: Any, count: int) -> str:
        for i in range(count):
            socket.emit("item", i, "x" * 1000)
        return "sent"

    @web.server.on("item")
    def item(socket: Any, i: int, _pad: str) -> None:
        rec.record("item", i)

    async def session() -> List[int]:
        import socketio

        client = socketio.AsyncClient(reconnection=False)
        got: List[int] = []
        all_in: "asyncio.Future[None]" = asyncio.get_running_loop().create_future()

        @client.on("item")
        async def on_item(i: int, _pad: str) -> None:
            got.append(i)
            if len(got) == n and not all_in.done():
                all_in.set_result(None)

        await client.connect(web.url, transports=["websocket"])
        try:
            assert await client.call("burst", n, timeout=TIMEOUT) == "sent"
            await asyncio.wait_for(all_in, TIMEOUT)
            for i in range(n):
                await client.emit("item", (i, "y" * 1000))
            return got
        finally:
            await client.call("burst", 0, timeout=TIMEOUT)  # a round trip: every item was read
            await client.disconnect()

    loop = LoopThread()
    try:
        got = loop.run(session())
    finally:
        loop.stop()
    assert got == list(range(n))
    assert [rec.wait("item")[0] for _ in range(n)] == list(range(n))


@pytest.mark.parametrize("host_kind", ["uvicorn-async", "uvicorn-sync"])
def test_an_aborted_long_poll_ends_the_session_with_transport_error(host_kind: str, rec: Recorder, monkeypatch: Any) -> None:
    """A client that goes away during a long poll: the ASGI app sees `http.disconnect` and
    cancels the request in the core, which ends the session at once with `transport error`
    (as on the own port, and in socket.io), not at the ping timeout (45 s by default)."""
    from sio_rs import _host

    # Tells the test when a request reached the core (a client closing before that is a
    # request the core never saw: nothing to cancel).
    in_core = threading.Event()
    original = _host.Host.http

    async def spy_http(self: Any, *args: Any) -> Any:
        answer = asyncio.ensure_future(original(self, *args))
        await asyncio.sleep(0)  # `original` runs up to its first await: the core has the request
        in_core.set()
        return await answer

    monkeypatch.setattr(_host.Host, "http", spy_http)
    h = WebHost(host_kind, rec)
    install(h.server, rec)
    h.start()
    try:
        base = "/socket.io/?EIO=4&transport=polling"
        _, _, body = get(h.url, base)
        sid = json.loads(body[1:])["sid"]
        conn = http.client.HTTPConnection("127.0.0.1", h.port, timeout=TIMEOUT)
        conn.request("POST", f"{base}&sid={sid}", body=b"40")
        assert conn.getresponse().read() == b"ok"
        conn.close()
        socket_id, _ = rec.wait("connection")
        _, _, connected = get(h.url, f"{base}&sid={sid}")  # the CONNECT answer
        assert connected.startswith(b"40"), connected
        while b"welcome" not in connected:  # collect the welcome emit: then nothing is left to send
            _, _, connected = get(h.url, f"{base}&sid={sid}")
        # A long poll, its connection closed once the core holds it (nothing to send).
        in_core.clear()
        with socket.create_connection(("127.0.0.1", h.port), timeout=TIMEOUT) as s:
            s.sendall(f"GET {base}&sid={sid} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            assert in_core.wait(TIMEOUT), "the long poll never reached the core"
        gone, reason = rec.wait("disconnect")
        assert (gone, reason) == (socket_id, "transport error")
    finally:
        h.stop()
