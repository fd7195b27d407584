"""``AsyncServer.attach(app)``: the server inside an ``aiohttp.web.Application``, as
python-socketio's ``AsyncServer.attach``. aiohttp is imported only here."""
from __future__ import annotations

from typing import Any, Optional, Union

from aiohttp import WSMsgType, web
from multidict import CIMultiDict

from ._host import HOP_BY_HOP, Headers, Host, Remote, Response, WebSocketPeer

_ENDED = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR)


def attach(server: Any, app: web.Application, socketio_path: str) -> None:
    """Routes every method of ``/socketio_path`` and below (the server's path) to ``server``."""
    host = Host(server, socketio_path)

    async def handler(request: web.Request) -> web.StreamResponse:
        headers: Headers = list(request.headers.items())
        if request.method == "GET" and request.headers.get("Upgrade", "").lower() == "websocket":
            peer = _AiohttpWebSocket(request, host.max_body)
            await host.websocket("GET", request.raw_path, headers, _remote(request), request.secure, peer)
            assert peer.response is not None, "the WebSocket was neither accepted nor refused"
            return peer.response
        body = bytearray()
        while len(body) <= host.max_body:  # one byte past the limit: the server answers 413
            chunk = await request.content.read(65536)
            if not chunk:
                break
            body += chunk
        res = await host.http(request.method, request.raw_path, headers, _remote(request), request.secure, bytes(body))
        return _response(res)

    path = host.native.path
    if path != "/":
        app.router.add_route("*", path.rstrip("/"), handler)
    app.router.add_route("*", path + "{tail:.*}", handler)


def _remote(request: web.Request) -> Remote:
    peer = request.transport.get_extra_info("peername") if request.transport is not None else None
    if isinstance(peer, (tuple, list)) and len(peer) >= 2:
        return str(peer[0]), int(peer[1])
    return None


def _response(res: Response) -> web.Response:
    status, headers, body = res
    kept = CIMultiDict((k, v) for k, v in headers if k.lower() not in HOP_BY_HOP)
    return web.Response(status=status, headers=kept, body=body)


class _AiohttpWebSocket(WebSocketPeer):
    def __init__(self, request: web.Request, max_body: int) -> None:
        self._request = request
        # The server decides about big messages (close 1009): aiohttp only stops what is
        # bigger than anything the server would take.
        self._ws = web.WebSocketResponse(max_msg_size=max_body + 1)
        self.response: Optional[web.StreamResponse] = None

    async def accept(self, headers: Headers) -> None:
        for name, value in headers:
            self._ws.headers.add(name, value)
        self.response = self._ws
        await self._ws.prepare(self._request)

    async def refuse(self, response: Response) -> None:
        self.response = _response(response)

    async def receive(self) -> Union[str, bytes, None]:
        while True:
            message = await self._ws.receive()
            if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                return message.data  # type: ignore[no-any-return]
            if message.type in _ENDED:
                return None

    async def send(self, data: Union[str, bytes]) -> None:
        if isinstance(data, str):
            await self._ws.send_str(data)
        else:
            await self._ws.send_bytes(data)

    async def close(self, code: int) -> None:
        await self._ws.close(code=code)
