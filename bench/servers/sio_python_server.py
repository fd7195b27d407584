"""The bench contract (bench/README.md) on the sio Python binding (asyncio server).

    python sio_python_server.py --port P

Handlers are plain functions run on the asyncio loop (sio.AsyncServer), registered on the
namespace, as python_socketio_server.py registers them on its server.
"""
import argparse
import asyncio

import sio_rs as sio

server = sio.AsyncServer()


@server.on("echo")
def echo(socket, *args):
    return args  # a tuple: the ack carries the same arguments


@server.on("join")
def join(socket, room):
    socket.join(room)


@server.on("bcast")
def bcast(socket, room, *payload):
    server.to(room).emit("b", *payload)


async def main(port: int) -> None:
    bound = await server.listen("127.0.0.1", port)
    print(f"ready {bound}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(main(parser.parse_args().port))
