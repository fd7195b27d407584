"""The chat client of chat_client.py on asyncio (`sio.AsyncClient`).

    python examples/python/async_chat_client.py --url http://localhost:3000 --name ann --room cats --message hi

Connects as `--name`, joins `--room`, sends each `--message` (awaiting its ack), prints
what it receives, then disconnects (or, with `--stay`, waits for Ctrl-C).
"""
from __future__ import annotations

import argparse
import asyncio

import sio_rs as sio


def say(line: str) -> None:
    print(line, flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:3000")
    parser.add_argument("--name", default="python")
    parser.add_argument("--room", default="lobby")
    parser.add_argument("--message", action="append", default=[])
    parser.add_argument("--stay", action="store_true", help="stay connected until Ctrl-C")
    opts = parser.parse_args()

    async with sio.AsyncClient(opts.url, auth={"name": opts.name}, reconnection_delay=0.5) as client:

        @client.on("disconnect")
        async def on_disconnect(reason: str) -> None:
            say(f"disconnected: {reason}")

        @client.on("system")
        async def on_system(msg: str) -> None:
            say(f"system: {msg}")

        @client.on("chat message")
        async def on_chat(msg: dict) -> None:
            say(f"[{msg['room']}] {msg['user']}: {msg['text']}")

        try:
            await client.connect(timeout=10)
            say(f"connected as {client.id}")
            rooms = await client.call("join", opts.room, timeout=10)
            say(f"rooms: {', '.join(rooms)}")
            for text in opts.message:
                echo = await client.call("chat message", text, opts.room, timeout=10)
                say(f"sent: {echo}")
            if opts.stay:
                await client.wait()
            else:
                client.disconnect()
                await client.wait(10)
        except sio.SocketIOError as e:
            say(f"error: {e}")
            raise SystemExit(1)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
