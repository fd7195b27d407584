"""The chat server of async_chat_server.py inside a FastAPI application, on its port
(`sio.ASGIApp`, python-socketio's `socketio.ASGIApp` shape): Socket.IO under /socket.io/,
every other path FastAPI's (`GET /api/rooms`).

    python examples/python/fastapi_app.py [--port 3000] [--host 0.0.0.0]
    uvicorn --app-dir examples/python fastapi_app:app --port 3000     # the same, by uvicorn

Needs `pip install fastapi uvicorn[standard]` (or uvicorn with websockets or wsproto).
"""
from __future__ import annotations

import argparse
from typing import Dict, List

from fastapi import FastAPI

import sio_rs as sio
from async_chat_server import make_server, say

server = make_server()
api = FastAPI()


@api.get("/api/rooms")
async def rooms() -> Dict[str, List[str]]:
    """The rooms of the connected sockets: FastAPI and Socket.IO share the server."""
    names = {room for socket in server.sockets.values() for room in socket.rooms if room != socket.id}
    return {"rooms": sorted(names)}


async def closed() -> None:
    await server.close()  # every socket gets "server shutting down"


app = sio.ASGIApp(server, other_asgi_app=api, on_shutdown=closed)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=3000)
    opts = parser.parse_args()
    say(f"chat (FastAPI + Socket.IO) on http://localhost:{opts.port}")
    uvicorn.run(app, host=opts.host, port=opts.port, log_level="warning")


if __name__ == "__main__":
    main()
