"""The bench contract (bench/README.md) on python-socketio's asyncio server (aiohttp).

    python python_socketio_server.py --port P
"""
import argparse
import asyncio

import socketio
from aiohttp import web

io = socketio.AsyncServer(async_mode="aiohttp")


@io.on("echo")
def echo(sid, *args):
    return args  # a tuple: the ack carries the same arguments


@io.on("join")
async def join(sid, room):
    await io.enter_room(sid, room)


@io.on("bcast")
async def bcast(sid, room, *payload):
    await io.emit("b", payload, to=room)  # a tuple: "b" gets the same arguments


async def main(port: int) -> None:
    app = web.Application()
    io.attach(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    print(f"ready {site._server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(main(parser.parse_args().port))
