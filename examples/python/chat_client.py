"""A chat client for examples/python/chat_server.py (or core/examples/chat).

    python examples/python/chat_client.py --url http://localhost:3000 --name ann --room cats --message hi

Connects as `--name`, joins `--room`, sends `--message` to it (waiting for the ack), prints
every lifecycle event with its reason and every message received. Then disconnects, unless
`--stay` is given (Ctrl-C to quit).
"""
from __future__ import annotations

import argparse
import sys
import threading

import sio_rs as sio

_out = threading.Lock()


def say(line: str) -> None:
    """Prints one line (handlers run on another thread than main: no interleaving)."""
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:3000")
    parser.add_argument("--name", default="python")
    parser.add_argument("--room", default="lobby")
    parser.add_argument("--message", action="append", default=[])
    parser.add_argument("--stay", action="store_true", help="stay connected until Ctrl-C")
    opts = parser.parse_args()

    client = sio.Client(opts.url, auth={"name": opts.name}, reconnection_delay=0.5)
    client.on("connect", lambda: say(f"event connect: id {client.id}, recovered {client.recovered}"))
    client.on("connect_error", lambda err: say(f"connect_error: {err.message} (retrying: {err.active})"))
    client.on("disconnect", lambda reason: say(f"disconnected: {reason}"))
    client.on("reconnect_attempt", lambda n: say(f"reconnect attempt {n}"))
    client.on("reconnect", lambda n: say(f"reconnected after {n} attempt(s)"))
    client.on("system", lambda msg: say(f"system: {msg}"))
    client.on("chat message", lambda msg: say(f"[{msg['room']}] {msg['user']}: {msg['text']}"))

    with client:
        try:
            client.connect(timeout=10)
            say(f"connected as {client.id}")
            rooms = client.call("join", opts.room, timeout=10)
            say(f"rooms: {', '.join(rooms)}")
            for text in opts.message:
                echo = client.call("chat message", text, opts.room, timeout=10)
                say(f"sent: {echo}")
            if opts.stay:
                client.wait()
            else:
                client.disconnect()
                client.wait(10)
        except KeyboardInterrupt:
            say("interrupted")
        except sio.SocketIOError as e:
            say(f"error: {e}")
            raise SystemExit(1)


if __name__ == "__main__":
    main()
