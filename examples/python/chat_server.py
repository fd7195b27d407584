"""The chat demo's server (core/examples/chat/main.rs) on the `sio` Python package.

    python examples/python/chat_server.py [--port 3000] [--host 0.0.0.0]

Protocol (namespace "/"): a client's name is `auth.name`; every socket joins "lobby".
  "chat message" (text, room="lobby")  -> to the room's other members: "chat message" {user, text, room};
                                          acked with the same {user, text, room}
  "join" (room)                        -> joins it ("system" "<user> joined <room>" to its members);
                                          acked with the socket's rooms (sorted, without its own id)
  "leave" (room)                       -> leaves it
On disconnecting, the user's rooms get "system" "<user> left (<reason>)".
Every lifecycle event is printed. Ctrl-C stops the server.
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


def text(args: tuple, i: int) -> str:
    value = args[i] if len(args) > i else ""
    return value[:500] if isinstance(value, str) else ""


def make_server() -> sio.Server:
    server = sio.Server(ping_interval=10.0, ping_timeout=5.0)

    @server.on("connection")
    def on_connection(socket: sio.Socket) -> None:
        auth = socket.handshake.get("auth") or {}
        name = auth.get("name") if isinstance(auth.get("name"), str) else "anonymous"
        socket.user = name
        say(f"connect {socket.id} as {name!r} over {socket.transport}")
        socket.conn.on("upgrade", lambda transport: say(f"upgrade {socket.id} to {transport}"))
        socket.join("lobby")
        say(f"room {socket.id} joined lobby")
        socket.to("lobby").emit("system", f"{name} joined lobby")

        @socket.on("chat message")
        def chat_message(*args: object) -> dict:
            room = text(args, 1) or "lobby"
            msg = {"user": socket.user, "text": text(args, 0), "room": room}
            socket.to(room).emit("chat message", msg)
            return msg  # the ack, if the client asked for one

        @socket.on("join")
        def join(*args: object) -> list:
            room = text(args, 0)
            if room:
                socket.join(room)
                say(f"room {socket.id} joined {room}")
                socket.to(room).emit("system", f"{socket.user} joined {room}")
            return sorted(r for r in socket.rooms if r != socket.id)  # one ack argument: the list

        @socket.on("leave")
        def leave(*args: object) -> None:
            room = text(args, 0)
            socket.leave(room)
            say(f"room {socket.id} left {room}")

        @socket.on("disconnecting")
        def disconnecting(reason: str) -> None:
            for room in socket.rooms:
                if room != socket.id:
                    socket.to(room).emit("system", f"{socket.user} left ({reason})")

        socket.on("disconnect", lambda reason: say(f"disconnect {socket.id} reason {str(reason)!r}"))

    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=3000)
    opts = parser.parse_args()
    server = make_server()
    port = server.listen(opts.host, opts.port)
    say(f"chat listening on http://localhost:{port}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    say("chat server stopped")


if __name__ == "__main__":
    main()
