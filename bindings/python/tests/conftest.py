"""Fixtures: an `sio.Server` on a free port, the reference Node server
(tests/interop/reference-server.js), a python-socketio server, and a thread-safe event
recorder.

`server`/`make_server`/`run` and `make_client` are parametrized: each test using them runs
with the blocking classes (`sync`) and with the asyncio ones (`async`). In the async runs
the server's or client's coroutines run on a loop thread (`run(...)` waits for one from
the test's thread) and every handler the test registers becomes an `async def` that must
run on that loop.

Every wait is on an event with a timeout (no sleeps as synchronisation).
"""
from __future__ import annotations

import asyncio
import functools
import inspect
import json
import os
import queue
import shutil
import socket
import subprocess
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

import sio_rs as sio

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
REFERENCE_SERVER = os.path.join(REPO, "tests", "interop", "reference-server.js")
NODE_MODULES = os.path.join(REPO, "tests", "node_modules")
TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """Collects (name, args) from any thread; `wait(name)` returns the next args of
    that name, failing the test after a timeout."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._seen: List[tuple] = []
        self._taken: Dict[str, int] = {}

    def record(self, name: str, *args: Any) -> None:
        with self._cond:
            self._seen.append((name, args))
            self._cond.notify_all()

    def handler(self, name: str):
        return lambda *args: self.record(name, *args)

    def wait(self, name: str, timeout: float = TIMEOUT) -> tuple:
        with self._cond:
            def ready() -> bool:
                return len(self.all(name)) > self._taken.get(name, 0)

            if not self._cond.wait_for(ready, timeout):
                pytest.fail(f"no {name!r} event within {timeout}s; seen: {[n for n, _ in self._seen]}")
            i = self._taken.get(name, 0)
            self._taken[name] = i + 1
            return self.all(name)[i]

    def all(self, name: str) -> List[tuple]:
        with self._cond:
            return [a for n, a in self._seen if n == name]


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


class LoopThread:
    """An asyncio loop on a thread of its own, for the asyncio variants of the tests."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-loop", daemon=True)
        self.thread.start()
        self.wrong_thread: List[str] = []

    def run(self, value: Any, timeout: float = 3 * TIMEOUT) -> Any:
        """Runs a coroutine on the loop and returns its result; anything else is returned."""
        if inspect.iscoroutine(value):
            return asyncio.run_coroutine_threadsafe(value, self.loop).result(timeout)
        return value

    def asyncify(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """`fn` as an `async def` (same signature, for `ack` detection) that yields to the
        loop first, awaits what `fn` returns if awaitable, and notes a call off the loop."""
        if inspect.iscoroutinefunction(fn):
            return fn

        @functools.wraps(fn)
        async def handler(*args: Any, **kwargs: Any) -> Any:
            if threading.current_thread() is not self.thread:
                self.wrong_thread.append(getattr(fn, "__qualname__", repr(fn)))
            await asyncio.sleep(0)
            result = fn(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result

        return handler

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(TIMEOUT)
        self.loop.close()
        assert not self.wrong_thread, f"handlers ran off the loop: {self.wrong_thread}"


def after(value: Any, then: Callable[[Any], Any]) -> Any:
    """`then(value)`, or for an awaitable (an asyncio class's emit_with_ack...) an awaitable
    of it: lets one handler body serve both variants (a handler's awaitable result is awaited)."""
    if inspect.isawaitable(value):
        async def chained() -> Any:
            return then(await value)

        return chained()
    return then(value)


def _async_registration(monkeypatch: Any, loop: LoopThread, cls: type, name: str, with_event: bool) -> None:
    """Makes `cls.name` register `loop.asyncify(handler)` (decorator form included)."""
    original = getattr(cls, name)

    if with_event:
        def register(self: Any, event: str, handler: Any = None, *args: Any, **kwargs: Any) -> Any:
            def add(fn: Any) -> Any:
                original(self, event, loop.asyncify(fn), *args, **kwargs)
                return fn

            return add(handler) if handler is not None else add
    else:
        def register(self: Any, handler: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            original(self, loop.asyncify(handler), *args, **kwargs)
            return handler

    monkeypatch.setattr(cls, name, register)


@pytest.fixture(params=["sync", "async"])
def mode(request) -> str:
    return request.param


@pytest.fixture
def server_loop(mode, monkeypatch):
    """The loop of the async server variant (None for sync): handlers registered on an
    AsyncServer, its namespaces and sockets become `async def`."""
    if mode == "sync":
        yield None
        return
    loop = LoopThread()
    for cls, name, with_event in (
        (sio.AsyncNamespace, "on", True),
        (sio.AsyncNamespace, "use", False),
        (sio.AsyncSocket, "on", True),
        (sio.AsyncSocket, "use", False),
        (sio.AsyncSocket, "on_any", False),
    ):
        _async_registration(monkeypatch, loop, cls, name, with_event)
    yield loop
    loop.stop()


@pytest.fixture
def run(server_loop) -> Callable[[Any], Any]:
    """`run(server.listen())`, `run(socket.emit_with_ack(...))`: the result, whichever the variant."""
    return server_loop.run if server_loop is not None else (lambda value: value)


@pytest.fixture
def make_server(server_loop, run):
    """`make_server(**options)`: a sio.Server or (async variant) sio.AsyncServer, closed at the end."""
    made: List[Any] = []

    def make(**options: Any) -> Any:
        s = sio.Server(**options) if server_loop is None else sio.AsyncServer(**options)
        made.append(s)
        return s

    yield make
    for s in made:
        run(s.close())


@pytest.fixture
def server(make_server):
    return make_server()


@pytest.fixture
def url(server, run) -> str:
    """Listens lazily: handlers are registered by the test before the first call."""
    return f"http://127.0.0.1:{run(server.listen('127.0.0.1', 0))}"


class AsyncClientDriver:
    """Drives a `sio.AsyncClient` from the test's thread with the blocking client's
    methods: its coroutines (`connect`, `emit_with_ack`, `call`, `wait`, `close`) run on
    a loop thread, and the handlers registered through it become `async def` on that loop."""

    def __init__(self, loop: LoopThread, *args: Any, **kwargs: Any) -> None:
        self._loop = loop
        self.client = sio.AsyncClient(*args, **kwargs)

    def on(self, event: str, handler: Any = None, namespace: Optional[str] = None) -> Any:
        def add(fn: Any) -> Any:
            self.client.on(event, self._loop.asyncify(fn), namespace=namespace)
            return fn

        return add(handler) if handler is not None else add

    def on_any(self, handler: Any, namespace: Optional[str] = None) -> Any:
        self.client.on_any(self._loop.asyncify(handler), namespace=namespace)
        return handler

    def connect(self, *args: Any, **kwargs: Any) -> None:
        self._loop.run(self.client.connect(*args, **kwargs))

    def emit_with_ack(self, *args: Any, **kwargs: Any) -> Any:
        return self._loop.run(self.client.emit_with_ack(*args, **kwargs))

    def call(self, *args: Any, **kwargs: Any) -> Any:
        return self._loop.run(self.client.call(*args, **kwargs))

    def wait(self, *args: Any, **kwargs: Any) -> bool:
        return self._loop.run(self.client.wait(*args, **kwargs))  # type: ignore[no-any-return]

    def close(self) -> None:
        self._loop.run(self.client.close())

    def __enter__(self) -> "AsyncClientDriver":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:  # id, connected, active, emit, disconnect...
        return getattr(self.client, name)

    def __setattr__(self, name: str, value: Any) -> None:  # `client.auth = ..` reaches the client
        if name in ("_loop", "client"):
            object.__setattr__(self, name, value)
        else:
            setattr(self.client, name, value)


@pytest.fixture(params=["sync", "async"])
def client_mode(request) -> str:
    return request.param


@pytest.fixture
def make_client(client_mode):
    """`make_client(url, **options)`: a sio.Client, or (async variant) an
    AsyncClientDriver around a sio.AsyncClient; closed at the end."""
    loop = LoopThread() if client_mode == "async" else None
    made: List[Any] = []

    def make(*args: Any, **kwargs: Any) -> Any:
        c = sio.Client(*args, **kwargs) if loop is None else AsyncClientDriver(loop, *args, **kwargs)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()
    if loop is not None:
        loop.stop()


class NodeServer:
    def __init__(self, port: int, flags: List[str]) -> None:
        node = shutil.which("node")
        if node is None:
            pytest.skip("node is not installed")
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.logs: "queue.Queue[dict]" = queue.Queue()
        self.proc = subprocess.Popen(
            [node, REFERENCE_SERVER, "--port", str(port), *flags],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started = threading.Event()
        self.output: List[str] = []

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.output.append(line)
                if line.startswith("listening on"):
                    started.set()
                elif line.startswith("{"):
                    self.logs.put(json.loads(line))

        threading.Thread(target=read, daemon=True).start()
        if not started.wait(20):
            self.stop()
            pytest.fail("reference server did not start: " + "".join(self.output))

    def wait_log(self, **match: Any) -> dict:
        while True:
            entry = self.logs.get(timeout=TIMEOUT)
            if all(entry.get(k) == v for k, v in match.items()):
                return entry

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def ref_server():
    s = NodeServer(free_port(), [])
    yield s
    s.stop()


def run_node(script: str, *args: str, timeout: float = 30.0) -> List[dict]:
    """Runs a CommonJS script with tests/node_modules resolvable; returns its JSON lines."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    env = dict(os.environ, NODE_PATH=NODE_MODULES)
    p = subprocess.run([node, "-e", script, "--", *args], env=env, capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, p.stdout + p.stderr
    return [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]


class CuttingProxy:
    """TCP proxy to `port`. `cut()` closes every proxied connection and holds new ones
    (accepted, not forwarded) until `resume()`."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.open = threading.Event()
        self.open.set()
        self.lock = threading.Lock()
        self.pairs: List[Tuple[socket.socket, socket.socket]] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                down, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(down,), daemon=True).start()

    def _serve(self, down: socket.socket) -> None:
        self.open.wait()
        if self.closed:
            down.close()
            return
        up = socket.create_connection(("127.0.0.1", self.target))
        with self.lock:
            self.pairs.append((down, up))
        threading.Thread(target=self._pump, args=(up, down), daemon=True).start()
        self._pump(down, up)

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        self.open.clear()
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def resume(self) -> None:
        self.open.set()

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        self.cut()
        self.open.set()


class PySocketIOServer:
    """A python-socketio `AsyncServer` on aiohttp, on a loop thread, accepting every
    namespace. Its events (connect, disconnect with reason, refusals) are recorded in
    `rec` as `py:<event>` with the namespace first. Handlers, in every namespace:

    - connect: refuses `auth={"token": "bad"}` with `unauthorized` / `{"reason": "bad token"}`
    - `echo`, *args: answers with the same arguments
    - `ask`, event, arg: calls the client's `event` with `arg`, answers with its reply
    - `emit-back`, event, *args: emits `event` with the arguments to the client
    - `disconnect-me`: disconnects the namespace (client: `io server disconnect`)
    - `close-me`: closes the Engine.IO connection (client: `transport close`)
    """

    def __init__(self, rec: Recorder, port: Optional[int] = None, **options: Any) -> None:
        import socketio  # python-socketio, pinned in tests/interop/python/requirements.txt

        self.rec = rec
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = LoopThread()
        self.runner: Any = None
        self.sio = socketio.AsyncServer(async_mode="aiohttp", namespaces="*", cors_allowed_origins="*", **options)
        self._handlers()

    def _handlers(self) -> None:
        import socketio

        sio_ = self.sio
        rec = self.rec

        @sio_.on("connect", namespace="*")
        async def connect(namespace, sid, environ, auth=None):
            if (auth or {}).get("token") == "bad":
                rec.record("py:refused", namespace)
                raise socketio.exceptions.ConnectionRefusedError("unauthorized", {"reason": "bad token"})
            rec.record("py:connect", namespace, sid, sio_.manager.eio_sid_from_sid(sid, namespace), auth)

        @sio_.on("disconnect", namespace="*")
        async def disconnect(namespace, sid, reason=None):
            rec.record("py:disconnect", namespace, sid, reason)

        @sio_.on("record", namespace="*")
        async def record(namespace, sid, *args):
            rec.record("py:record", *args)

        @sio_.on("echo", namespace="*")
        async def echo(namespace, sid, *args):
            return args

        @sio_.on("ask", namespace="*")
        async def ask(namespace, sid, event, arg):
            return await sio_.call(event, arg, to=sid, namespace=namespace, timeout=TIMEOUT)

        @sio_.on("emit-back", namespace="*")
        async def emit_back(namespace, sid, event, *args):
            await sio_.emit(event, args if len(args) != 1 else args[0], to=sid, namespace=namespace)

        @sio_.on("disconnect-me", namespace="*")
        async def disconnect_me(namespace, sid):
            await sio_.disconnect(sid, namespace=namespace)

        @sio_.on("close-me", namespace="*")
        async def close_me(namespace, sid):
            await sio_.eio.disconnect(sio_.manager.eio_sid_from_sid(sid, namespace))

    def start(self) -> "PySocketIOServer":
        from aiohttp import web

        async def serve() -> None:
            app = web.Application()
            self.sio.attach(app)
            self.runner = web.AppRunner(app)
            await self.runner.setup()
            await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

        self.loop.run(serve())
        return self

    def stop(self) -> None:
        async def down() -> None:
            await self.sio.shutdown()  # python-socketio's background tasks
            if self.runner is not None:
                await self.runner.cleanup()
            rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in rest:
                t.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        self.loop.run(down())
        self.loop.stop()


@pytest.fixture
def py_server(rec):
    s = PySocketIOServer(rec).start()
    yield s
    s.stop()
