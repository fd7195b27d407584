"""AsyncServer / AsyncClient: handlers may be `async def` and run on the caller's loop."""
from __future__ import annotations

import asyncio
import threading

import pytest
import socketio

import sio_rs as sio
from conftest import TIMEOUT


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_async_server_with_python_socketio_async_client():
    async def main():
        server = sio.AsyncServer()
        loop_thread = threading.get_ident()
        seen = asyncio.Queue()

        @server.use
        async def auth(socket):
            await asyncio.sleep(0)
            if socket.handshake["auth"].get("token") != "ok":
                raise sio.ConnectionRefused("nope", {"why": "token"})

        @server.on("connection")
        async def on_connection(socket):
            assert threading.get_ident() == loop_thread  # handlers run on our loop
            socket.join("a")

            @socket.on("echo")
            async def echo(*args):
                await asyncio.sleep(0)
                return args

            @socket.on("ask-me")
            async def ask_me():
                await seen.put(await socket.emit_with_ack("question", 5, timeout=TIMEOUT))

            socket.on("disconnect", lambda reason: seen.put_nowait(("disconnect", reason)))

        port = await server.listen()
        url = f"http://127.0.0.1:{port}"
        c = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await c.connect(url, auth={"token": "bad"}, wait_timeout=TIMEOUT)
        c = socketio.AsyncClient(reconnection=False)

        @c.on("question")
        async def question(n):
            return n + 1

        await c.connect(url, auth={"token": "ok"}, wait_timeout=TIMEOUT)
        assert await c.call("echo", (1, b"\x09"), timeout=TIMEOUT) == (1, b"\x09")
        await c.emit("ask-me")
        assert await asyncio.wait_for(seen.get(), TIMEOUT) == [6]
        remote = await server.fetch_sockets()
        assert [s.rooms for s in remote] == [{remote[0].id, "a"}]
        await c.eio.disconnect()
        assert await asyncio.wait_for(seen.get(), TIMEOUT) == ("disconnect", sio.DisconnectReason.TRANSPORT_CLOSE)
        await server.close()

    run(main())


def test_async_client_against_reference_server(ref_server):
    async def main():
        events = asyncio.Queue()
        async with sio.AsyncClient(ref_server.url, auth={"k": 1}) as c:
            @c.on("connect")
            async def on_connect():
                await events.put("connect")

            @c.on("question")
            async def question(x):
                await asyncio.sleep(0)
                return {"got": x}

            c.on("disconnect", lambda reason: events.put_nowait(reason))
            await c.connect(timeout=TIMEOUT)
            assert await asyncio.wait_for(events.get(), TIMEOUT) == "connect"
            assert await c.emit_with_ack("echo", b"\x01", timeout=TIMEOUT) == [b"\x01"]
            assert await c.call("ask", "question", 3, timeout=TIMEOUT) == (None, [{"got": 3}])
            with pytest.raises(sio.TimeoutError):
                await c.emit_with_ack("unanswered", timeout=0.2)
            c.emit("disconnect-me")
            assert await asyncio.wait_for(events.get(), TIMEOUT) is sio.DisconnectReason.IO_SERVER_DISCONNECT
            assert await c.wait(TIMEOUT)

    run(main())


def test_async_client_refused():
    async def main():
        server = sio.AsyncServer()

        @server.of("/private").use
        def deny(socket):
            raise sio.ConnectionRefused("go away", [1, 2])

        port = await server.listen()
        async with sio.AsyncClient(f"http://127.0.0.1:{port}/private") as c:
            with pytest.raises(sio.ConnectionError) as info:
                await c.connect(timeout=TIMEOUT)
            assert (info.value.message, info.value.data, info.value.active) == ("go away", [1, 2], False)
        await server.close()

    run(main())


def test_async_connection_handler_sees_every_event_of_its_socket():
    """A socket's events wait for its `async def` connection handlers: what they register
    after an `await` still gets the events the client sent meanwhile."""

    async def main():
        server = sio.AsyncServer()
        seen = asyncio.Queue()

        @server.on("connection")
        async def on_connection(socket):
            await asyncio.sleep(0.3)  # e.g. a database lookup; the client emits meanwhile

            @socket.on("echo")
            async def echo(n):
                await seen.put(("echo", n))
                return n

            socket.on("disconnect", lambda reason: seen.put_nowait(("disconnect", reason)))

        port = await server.listen()
        c = socketio.AsyncClient(reconnection=False)
        await c.connect(f"http://127.0.0.1:{port}", wait_timeout=TIMEOUT)
        answers = await asyncio.gather(*(c.call("echo", n, timeout=TIMEOUT) for n in range(3)))
        assert answers == [0, 1, 2]
        assert [await seen.get() for _ in range(3)] == [("echo", 0), ("echo", 1), ("echo", 2)]  # in order
        await c.disconnect()
        what, reason = await asyncio.wait_for(seen.get(), TIMEOUT)
        # (python-socketio closes the connection right after its DISCONNECT packet)
        assert what == "disconnect"
        assert reason in (sio.DisconnectReason.CLIENT_NAMESPACE_DISCONNECT, sio.DisconnectReason.TRANSPORT_CLOSE)
        await server.close()

    run(main())
