"""asyncio variants: handlers may be ``async def`` and run on the user's loop."""
from __future__ import annotations

import asyncio
from typing import Any, Iterable, List, Optional, Tuple, Union, cast

from ._common import _POLL_SECONDS, AsyncRunner, check_event, seconds
from .client import Client, _unpack
from .exceptions import SocketIOError, TimeoutError
from .server import BroadcastOperator, Namespace, RemoteSocket, Server, Socket

__all__ = ["AsyncServer", "AsyncClient", "AsyncSocket", "AsyncNamespace", "AsyncBroadcastOperator"]


class AsyncBroadcastOperator(BroadcastOperator):
    async def emit_with_ack(self, event: str, *args: Any, timeout: Optional[float] = None) -> List[List[Any]]:  # type: ignore[override]
        return await self._start_ack(event, args, timeout)

    async def fetch_sockets(self) -> List[RemoteSocket]:  # type: ignore[override]
        return await asyncio.get_running_loop().run_in_executor(None, BroadcastOperator.fetch_sockets, self)


class AsyncSocket(Socket):
    async def emit_with_ack(self, event: str, *args: Any, timeout: Optional[float] = None) -> List[Any]:  # type: ignore[override]
        """Emits and waits for the client's answer (the reply arguments)."""
        return await self._start_ack(event, args, timeout)


class AsyncNamespace(Namespace):
    async def emit_with_ack(self, event: str, *args: Any, timeout: float) -> Any:  # type: ignore[override]
        return await cast(AsyncBroadcastOperator, self._op()).emit_with_ack(event, *args, timeout=timeout)

    async def fetch_sockets(self) -> Any:  # type: ignore[override]
        return await cast(AsyncBroadcastOperator, self._op()).fetch_sockets()


# Events of one socket: dispatched in order, after its `connection` handlers have finished.
_SOCKET_EVENTS = ("connection", "message", "disconnecting", "disconnect")


class AsyncServer(AsyncRunner, Server):
    """``sio.Server`` whose handlers run on the asyncio loop that called ``listen``;
    they may be ``async def`` (each then runs as a task). A socket's events wait until
    its ``connection`` handlers have finished, so that the handlers those register
    (``socket.on(...)``, after an ``await`` too) see every event."""

    _socket_class = AsyncSocket
    _namespace_class = AsyncNamespace
    _operator_class = AsyncBroadcastOperator

    def _deliver(self, ev: Tuple[Any, ...]) -> None:
        kind = ev[0]
        if kind != "message" and kind not in _SOCKET_EVENTS:
            Server._deliver(self, ev)
            return
        handle = ev[1]
        sock = self._by_handle.get(handle)
        if sock is None:
            sock = self._socket(handle)
        gate = sock._gate
        if gate is not None:
            if not gate.done():
                # Queued behind the connection handlers (and the events queued before it).
                sock._gate = self._spawn(self._deliver_after(gate, ev))
                return
            sock._gate = None  # everything queued behind it has run
        if kind == "message":
            if sock._any or sock._middlewares:
                self._on_message(sock, ev[2], ev[3], handle, ev[4])
            else:
                self._dispatch_message(sock, ev[2], ev[3], handle, ev[4])
            return
        self._deliver_now(ev)

    async def _deliver_after(self, gate: "asyncio.Future[Any]", ev: Tuple[Any, ...]) -> None:
        await asyncio.wait([gate])
        handlers = self._deliver_now(ev)
        if handlers is not None:  # a `connection`: what follows waits for its handlers too
            await handlers

    def _deliver_now(self, ev: Tuple[Any, ...]) -> "Optional[asyncio.Future[Any]]":
        if ev[0] == "disconnecting":
            # `async def` handlers run as tasks: the socket stays until they end.
            self._started = []
            try:
                Server._deliver(self, ev)
            finally:
                self._started = None
            return None
        if ev[0] != "connection":
            Server._deliver(self, ev)
            return None
        started: "List[asyncio.Task[Any]]" = []
        self._started = started
        try:
            Server._deliver(self, ev)
        finally:
            self._started = None
        if not started:
            return None
        handlers = asyncio.gather(*started, return_exceptions=True)
        self._socket(ev[1])._gate = handlers
        return handlers

    def _release(self, leaving: Any) -> None:
        tasks = self._started
        if not tasks:
            leaving.release()
            return
        asyncio.gather(*tasks, return_exceptions=True).add_done_callback(lambda _: leaving.release())

    async def listen(self, host: str = "127.0.0.1", port: int = 0) -> int:  # type: ignore[override]
        self._bind_loop()
        return Server.listen(self, host, port)

    def _serve_embedded(self) -> None:
        # The web server's loop runs the handlers (the one of `listen` too, if both).
        self._bind_loop()
        Server._serve_embedded(self)

    def attach(self, app: Any, socketio_path: str = "socket.io") -> None:
        """Serves this server inside an ``aiohttp.web.Application`` under ``/socketio_path/``
        (python-socketio's ``AsyncServer.attach``): its routes answer polling and
        WebSocket requests on the application's port, and the handlers run on its loop.
        ``socketio_path`` must name the server's ``path`` option (``sio.BadArgument``
        otherwise). The server may also ``listen`` on a port of its own."""
        from ._aiohttp import attach

        attach(self, app, socketio_path)

    async def serve_forever(self, host: str = "0.0.0.0", port: int = 5000) -> None:  # type: ignore[override]
        if self.port is None:
            await self.listen(host, port)
        loop = asyncio.get_running_loop()
        try:
            while not self._closed.is_set():
                await loop.run_in_executor(None, self._closed.wait, 1.0)
        finally:
            await self.close()

    async def close(self) -> None:  # type: ignore[override]
        """Disconnects every socket (``server shutting down``) and returns once their
        handlers (tasks included) have finished."""
        # The runtime's last events (disconnects) are posted to this loop: let them run.
        await asyncio.get_running_loop().run_in_executor(None, Server.close, self)
        await self._finish_handlers()

    async def emit_with_ack(self, event: str, *args: Any, timeout: float) -> Any:  # type: ignore[override]
        return await self.of("/").emit_with_ack(event, *args, timeout=timeout)

    async def fetch_sockets(self) -> Any:  # type: ignore[override]
        return await self.of("/").fetch_sockets()

    async def server_side_emit_with_ack(  # type: ignore[override]
        self, event: str, *args: Any, namespace: str = "/"
    ) -> List[Any]:
        if self._loop is None:
            self._bind_loop()
        return await self._start_server_side_ack(namespace, event, args)  # type: ignore[no-any-return]

    async def server_count(self) -> int:  # type: ignore[override]
        return await asyncio.get_running_loop().run_in_executor(None, Server.server_count, self)

    async def __aenter__(self) -> "AsyncServer":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


class AsyncClient(AsyncRunner, Client):
    """``sio.Client`` whose handlers run on the asyncio loop that called ``connect``."""

    async def connect(self, wait: bool = True, timeout: Optional[float] = None) -> None:  # type: ignore[override]
        self._bind_loop()
        waiter = self._begin_connect()
        if not wait:
            return
        try:
            await asyncio.wait_for(waiter, timeout)
        except SocketIOError:
            raise
        except asyncio.TimeoutError:
            raise TimeoutError("connection timed out") from None

    async def emit_with_ack(  # type: ignore[override]
        self, event: str, *args: Any, timeout: Optional[float] = None, namespace: Optional[str] = None
    ) -> List[Any]:
        if self._loop is None:
            self._bind_loop()
        return await self._start_ack(event, args, timeout, namespace)  # type: ignore[no-any-return]

    async def call(  # type: ignore[override]
        self, event: str, *args: Any, timeout: Optional[float] = 60.0, namespace: Optional[str] = None
    ) -> Any:
        return _unpack(await self.emit_with_ack(event, *args, timeout=timeout, namespace=namespace))

    async def wait(self, timeout: Optional[float] = None) -> bool:  # type: ignore[override]
        # In short steps: an executor thread blocked for good would keep asyncio.run from
        # returning after a Ctrl-C (it joins the default executor).
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + seconds("timeout", timeout)
        while True:
            step = _POLL_SECONDS if deadline is None else min(_POLL_SECONDS, max(0.0, deadline - loop.time()))
            if await loop.run_in_executor(None, Client.wait, self, step):
                return True
            if deadline is not None and loop.time() >= deadline:
                return False

    async def close(self) -> None:  # type: ignore[override]
        """Disconnects and returns once the handlers (tasks included) have finished."""
        await asyncio.get_running_loop().run_in_executor(None, Client.close, self)
        await self._finish_handlers()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()
