"""``sio.ASGIApp``: the server inside an ASGI web server (uvicorn, hypercorn...), beside
another ASGI application (FastAPI, Starlette...), as python-socketio's ``socketio.ASGIApp``."""
from __future__ import annotations

import asyncio
import inspect
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple, Union
from urllib.parse import quote

from ._host import Headers, Host, Remote, Response, WebSocketPeer

__all__ = ["ASGIApp"]

Scope = Dict[str, Any]
Message = Dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGICallable = Callable[[Scope, Receive, Send], Awaitable[None]]
Hook = Callable[[], Any]


def _headers(scope: Scope) -> Headers:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers") or ()]


def _encoded(headers: Headers) -> List[Tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]


def _uri(scope: Scope) -> str:
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else quote(scope["path"])
    query = scope.get("query_string") or b""
    return f"{path}?{query.decode('latin-1')}" if query else path


def _remote(scope: Scope) -> Remote:
    client = scope.get("client")
    return (str(client[0]), int(client[1])) if client else None


def _secure(scope: Scope) -> bool:
    return scope.get("scheme") in ("https", "wss")


async def _disconnected(receive: Receive) -> None:
    """Resolves when the client of an HTTP request whose body was read goes away."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _call_hook(hook: Hook) -> None:
    result = hook()
    if inspect.isawaitable(result):
        await result


class ASGIApp:
    """An ASGI application serving ``socketio_server`` (an ``AsyncServer``, or a ``Server``
    whose handlers then run on its dispatcher thread) under ``/socketio_path/`` and
    everything else with ``other_asgi_app`` (404 without one)::

        app = sio.ASGIApp(server, other_asgi_app=fastapi_app)   # uvicorn module:app

    ``socketio_path`` must name the server's ``path`` option (``"socket.io"`` for the
    default ``/socket.io/``): ``sio.BadArgument`` otherwise. Lifespan events go to
    ``other_asgi_app``; ``on_startup``/``on_shutdown`` (plain or ``async`` callables) run
    after its startup and before its shutdown. The server may also ``listen`` on a port
    of its own at the same time. Unlike python-socketio's, the arguments after
    ``other_asgi_app`` are keyword only (there is no ``static_files``).
    """

    def __init__(
        self,
        socketio_server: Any,
        other_asgi_app: Optional[ASGICallable] = None,
        *,
        socketio_path: str = "socket.io",
        on_startup: Optional[Hook] = None,
        on_shutdown: Optional[Hook] = None,
    ) -> None:
        self.socketio_server = socketio_server
        self.other_asgi_app = other_asgi_app
        self.on_startup = on_startup
        self.on_shutdown = on_shutdown
        self._host = Host(socketio_server, socketio_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(scope, receive, send)
        elif kind in ("http", "websocket") and self._host.handles(scope["path"]):
            if kind == "http":
                await self._http(scope, receive, send)
            else:
                await self._websocket(scope, receive, send)
        elif self.other_asgi_app is not None:
            await self.other_asgi_app(scope, receive, send)
        elif kind == "http":
            await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"Not Found"})
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            # One byte past the limit is enough for the server to answer 413.
            if not message.get("more_body") or len(body) > self._host.max_body:
                break
        answer = asyncio.ensure_future(
            self._host.http(scope["method"], _uri(scope), _headers(scope), _remote(scope), _secure(scope), bytes(body))
        )
        # A client that goes away during a long poll: its request is cancelled in the core.
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            await asyncio.wait((answer, gone), return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not answer.done():
                answer.cancel()
            gone.cancel()
            await asyncio.gather(answer, gone, return_exceptions=True)
        if answer.cancelled():
            return
        status, headers, payload = answer.result()
        await send({"type": "http.response.start", "status": status, "headers": _encoded(headers)})
        await send({"type": "http.response.body", "body": payload})

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        peer = _ASGIWebSocket(scope, receive, send)
        await self._host.websocket("GET", _uri(scope), _headers(scope), _remote(scope), _secure(scope), peer)

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.other_asgi_app is None:
            await self._own_lifespan(receive, send)
            return

        # The other application's lifespan, with ours inside it: our startup after its
        # startup completed, our shutdown before it hears of the shutdown.
        async def receive_() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await self._shutdown()
            return message

        async def send_(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                try:
                    await self._startup()
                except Exception as e:
                    await send({"type": "lifespan.startup.failed", "message": repr(e)})
                    return
            await send(message)

        await self.other_asgi_app(scope, receive_, send_)

    async def _own_lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self._startup()
                except Exception as e:
                    await send({"type": "lifespan.startup.failed", "message": repr(e)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await self._shutdown()
                except Exception as e:
                    await send({"type": "lifespan.shutdown.failed", "message": repr(e)})
                    return
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _startup(self) -> None:
        self._host.start()  # an AsyncServer's handlers run on this loop from now on
        if self.on_startup is not None:
            await _call_hook(self.on_startup)

    async def _shutdown(self) -> None:
        if self.on_shutdown is not None:
            await _call_hook(self.on_shutdown)


class _ASGIWebSocket(WebSocketPeer):
    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._scope = scope
        self._receive = receive
        self._send = send

    async def accept(self, headers: Headers) -> None:
        await self._send({"type": "websocket.accept", "headers": _encoded(headers)})

    async def refuse(self, response: Response) -> None:
        status, headers, body = response
        if "websocket.http.response" in (self._scope.get("extensions") or {}):
            await self._send({"type": "websocket.http.response.start", "status": status, "headers": _encoded(headers)})
            await self._send({"type": "websocket.http.response.body", "body": body})
        else:  # the ASGI server answers 403
            await self._send({"type": "websocket.close", "code": 1008})

    async def receive(self) -> Union[str, bytes, None]:
        while True:
            message = await self._receive()
            if message["type"] == "websocket.disconnect":
                return None
            if message["type"] == "websocket.receive":
                text = message.get("text")
                if text is not None:
                    return text  # type: ignore[no-any-return]
                data = message.get("bytes")
                if data is not None:
                    return data  # type: ignore[no-any-return]

    async def send(self, data: Union[str, bytes]) -> None:
        key = "text" if isinstance(data, str) else "bytes"
        await self._send({"type": "websocket.send", key: data})

    async def close(self, code: int) -> None:
        await self._send({"type": "websocket.close", "code": code})
