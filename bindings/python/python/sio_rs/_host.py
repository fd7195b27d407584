"""A server inside a Python web server (uvicorn and other ASGI servers, aiohttp): what
``ASGIApp`` and ``AsyncServer.attach`` share. The web server owns the sockets; requests
for the server's path go to the core whole (polling, CORS preflight), WebSockets as
messages. The core's answers arrive on runtime threads and are handed to the web server's
asyncio loop (``loop_completion``, as acks are)."""
from __future__ import annotations

import asyncio
from typing import Any, List, Optional, Tuple, Union

from ._common import loop_completion
from .exceptions import BadArgument, SocketIOError

Headers = List[Tuple[str, str]]
# (status, headers, body)
Response = Tuple[int, Headers, bytes]
# The peer as (host, port); None when unknown (a Unix socket).
Remote = Optional[Tuple[str, int]]

_TEXT = "text/plain; charset=utf-8"
# What a host sets itself from the body it writes.
HOP_BY_HOP = frozenset(("content-length", "transfer-encoding", "connection", "keep-alive"))


def _path(socketio_path: str) -> str:
    bare = socketio_path.strip("/")
    return f"/{bare}/" if bare else "/"


class Host:
    """The server's side of one web server: routing, requests, WebSockets."""

    def __init__(self, server: Any, socketio_path: str) -> None:
        if not isinstance(socketio_path, str):
            raise BadArgument("socketio_path must be a str")
        native = server._native
        # The server's `path` option decides; the web server's name for it must agree.
        wanted, actual = _path(socketio_path), native.path
        if wanted != actual:
            raise BadArgument(
                f"socketio_path={socketio_path!r} ({wanted}) is not the server's path ({actual}): "
                f"create the server with path={wanted!r}, or pass socketio_path={actual.strip('/')!r}"
            )
        self.server = server
        self.native = native
        self.max_body: int = native.max_body

    def handles(self, path: str) -> bool:
        """Whether a request for ``path`` is the server's."""
        return self.native.handles_path(path)  # type: ignore[no-any-return]

    def start(self) -> None:
        """Starts dispatching the server's events (on this loop, for an AsyncServer)."""
        self.server._serve_embedded()

    async def http(self, method: str, uri: str, headers: Headers, remote: Remote, secure: bool, body: bytes) -> Response:
        """The server's answer to an HTTP request (a long poll waits for something to send).
        Cancelling the awaiting task (its client went away) cancels the request in the core,
        which ends a long poll's session with ``transport error``, as on the server's own port."""
        loop = asyncio.get_running_loop()
        fut: "asyncio.Future[Response]" = loop.create_future()
        try:
            self.start()
            call = self.native.handle_http(method, uri, headers, remote, secure, body, loop_completion(loop, fut))
        except BadArgument as e:  # a method, URI or header the core cannot take
            return 400, [("content-type", _TEXT)], str(e).encode()
        except SocketIOError:
            return 503, [("content-type", _TEXT)], b"server is closed"
        try:
            return await fut
        except asyncio.CancelledError:
            call.cancel()
            raise

    async def websocket(self, method: str, uri: str, headers: Headers, remote: Remote, secure: bool, peer: "WebSocketPeer") -> None:
        """Runs one WebSocket upgrade request to its end: the core accepts it (``peer.accept``)
        or answers an HTTP response instead (``peer.refuse``); then messages flow both ways
        until either side closes."""
        loop = asyncio.get_running_loop()
        outbox: "asyncio.Queue[Tuple[str, Any]]" = asyncio.Queue()

        def on_message(kind: str, data: Any) -> None:  # runtime thread, in order
            try:
                loop.call_soon_threadsafe(outbox.put_nowait, (kind, data))
            except RuntimeError:  # the loop closed meanwhile
                pass

        accepted: "asyncio.Future[Tuple[Any, Any]]" = loop.create_future()
        try:
            self.start()
            self.native.accept_websocket(method, uri, headers, remote, secure, on_message, loop_completion(loop, accepted))
        except BadArgument as e:
            await peer.refuse((400, [("content-type", _TEXT)], str(e).encode()))
            return
        except SocketIOError:
            await peer.refuse((503, [("content-type", _TEXT)], b"server is closed"))
            return
        sock, extra = await accepted
        if sock is None:
            await peer.refuse(extra)
            return
        try:
            await peer.accept(extra)
            sock.ready()
            writer = loop.create_task(_write(sock, outbox, peer))
            reader = loop.create_task(_read(sock, peer, loop))
            try:
                await asyncio.wait((reader, writer), return_when=asyncio.FIRST_COMPLETED)
                if reader.done() and not reader.cancelled() and reader.exception() is None and reader.result() == "over":
                    await asyncio.wait((writer,))  # the session ended: its close comes through the outbox
            finally:
                for task in (reader, writer):
                    task.cancel()
                await asyncio.gather(reader, writer, return_exceptions=True)
        finally:
            # However it ended (the peer left, the server closed it, the web server is
            # shutting down): the session learns; after its own close this is a no-op.
            sock.peer_closed()


class WebSocketPeer:
    """A web server's WebSocket, as ``Host.websocket`` drives it."""

    async def accept(self, headers: Headers) -> None:
        """Completes the upgrade with ``headers`` added."""
        raise NotImplementedError

    async def refuse(self, response: Response) -> None:
        """Answers the upgrade request with an HTTP response instead."""
        raise NotImplementedError

    async def receive(self) -> Union[str, bytes, None]:
        """The peer's next message; None once the connection has ended."""
        raise NotImplementedError

    async def send(self, data: Union[str, bytes]) -> None:
        raise NotImplementedError

    async def close(self, code: int) -> None:
        raise NotImplementedError


async def _write(sock: Any, outbox: "asyncio.Queue[Tuple[str, Any]]", peer: WebSocketPeer) -> None:
    """Messages for the peer, in order; each written one returns a credit to the core."""
    while True:
        kind, data = await outbox.get()
        if kind == "close":
            await peer.close(1000 if data is None else data)
            return
        await peer.send(data)
        sock.written(1)


async def _read(sock: Any, peer: WebSocketPeer, loop: asyncio.AbstractEventLoop) -> str:
    """The peer's messages into the session, pausing while the session is behind.
    Returns ``"peer"`` (the connection ended) or ``"over"`` (the session ended)."""
    resumed = asyncio.Event()

    def resume() -> None:  # runtime thread
        try:
            loop.call_soon_threadsafe(resumed.set)
        except RuntimeError:
            pass

    while True:
        data = await peer.receive()
        if data is None:
            return "peer"
        keep_reading = sock.push(data, resume)
        if keep_reading is None:
            return "over"
        if not keep_reading:
            await resumed.wait()
            resumed.clear()
