"""The chat server of chat_server.py on asyncio (`sio.AsyncServer`): the same protocol,
handlers as coroutines on the event loop.

    python examples/python/async_chat_server.py [--port 3000] [--host 0.0.0.0]
"""
from __future__ import annotations

import argparse
import asyncio

import sio_rs as sio


def say(line: str) -> None:
    print(line, flush=True)  # handlers run on the loop's thread: no interleaving


def text(args: tuple, i: int) -> str:
    value = args[i] if len(args) > i else ""
    return value[:500] if isinstance(value, str) else ""


def make_server() -> sio.AsyncServer:
    server = sio.AsyncServer(ping_interval=10.0, ping_timeout=5.0)

    @server.on("connection")
    async def on_connection(socket: sio.AsyncSocket) -> None:
        auth = socket.handshake.get("auth") or {}
        name = auth.get("name") if isinstance(auth.get("name"), str) else "anonymous"
        socket.user = name
        say(f"connect {socket.id} as {name!r} over {socket.transport}")
        socket.join("lobby")
        socket.to("lobby").emit("system", f"{name} joined lobby")

        @socket.on("chat message")
        async def chat_message(*args: object) -> dict:
            room = text(args, 1) or "lobby"
            msg = {"user": socket.user, "text": text(args, 0), "room": room}
            socket.to(room).emit("chat message", msg)
            return msg  # the ack

        @socket.on("join")
        async def join(*args: object) -> list:
            room = text(args, 0)
            if room:
                socket.join(room)
                socket.to(room).emit("system", f"{socket.user} joined {room}")
            return sorted(r for r in socket.rooms if r != socket.id)

        @socket.on("disconnecting")
        async def disconnecting(reason: str) -> None:
            for room in socket.rooms:
                if room != socket.id:
                    socket.to(room).emit("system", f"{socket.user} left ({reason})")

        @socket.on("disconnect")
        async def disconnect(reason: str) -> None:
            say(f"disconnect {socket.id} reason {str(reason)!r}")

    return server


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=3000)
    opts = parser.parse_args()
    server = make_server()
    port = await server.listen(opts.host, opts.port)
    say(f"chat listening on http://localhost:{port}")
    await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
