"""The chat server of async_chat_server.py inside an aiohttp application, on its port
(`AsyncServer.attach(app)`, as python-socketio's): Socket.IO under /socket.io/, every other
route aiohttp's (`GET /api/rooms`).

    python examples/python/aiohttp_app.py [--port 3000] [--host 0.0.0.0]
"""
from __future__ import annotations

import argparse
from typing import Any

from aiohttp import web

from async_chat_server import make_server, say


def make_app() -> web.Application:
    server = make_server()
    app = web.Application()
    server.attach(app)  # socketio_path="socket.io": the server's path

    async def rooms(request: web.Request) -> web.Response:
        names = {room for socket in server.sockets.values() for room in socket.rooms if room != socket.id}
        return web.json_response({"rooms": sorted(names)})

    async def closed(app: Any) -> None:
        await server.close()  # every socket gets "server shutting down"

    app.router.add_get("/api/rooms", rooms)
    app.on_shutdown.append(closed)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=3000)
    opts = parser.parse_args()
    say(f"chat (aiohttp + Socket.IO) on http://localhost:{opts.port}")
    web.run_app(make_app(), host=opts.host, port=opts.port, print=None)


if __name__ == "__main__":
    main()
