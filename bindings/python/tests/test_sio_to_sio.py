"""sio.Client ↔ sio.Server in one process (each has its own runtime and dispatcher);
every pairing of the blocking and asyncio classes."""
from __future__ import annotations

import signal
import threading

import pytest

import sio_rs as sio
from conftest import TIMEOUT, Recorder


def test_server_ack_timeout_and_disconnect_outcomes(server, run, make_client):
    rec = Recorder()
    server.on("connection", lambda s: rec.record("connection", s))
    url = f"http://127.0.0.1:{run(server.listen())}"
    with make_client(url, reconnection=False) as c:
        @c.on("silent")
        def silent(ack):
            rec.record("silent", ack is not None)  # asked for an answer, never gives it

        @c.on("plain")
        def plain(ack):
            rec.record("plain", ack)  # no answer asked: ack is None

        c.connect(timeout=TIMEOUT)
        (socket,) = rec.wait("connection")
        assert socket.id == c.id
        with pytest.raises(sio.TimeoutError):
            run(socket.emit_with_ack("silent", timeout=0.3))
        assert rec.wait("silent") == (True,)
        socket.emit("plain")
        assert rec.wait("plain") == (None,)
        # answered by the client's handler from its own dispatcher thread (or loop)
        c.on("double", lambda n: n * 2)
        assert run(socket.emit_with_ack("double", 4, timeout=TIMEOUT)) == [8]
        server.on("disconnect", lambda s, reason: rec.record("disconnect", s.id, reason))
        c.disconnect()
        assert rec.wait("disconnect") == (socket.id, sio.DisconnectReason.CLIENT_NAMESPACE_DISCONNECT)
        assert server.sockets == {}


def test_data_roundtrip_types(server, run, make_client):
    server.on("echo", lambda socket, *args: args)
    with make_client(f"http://127.0.0.1:{run(server.listen())}") as c:
        c.connect(timeout=TIMEOUT)
        values = [0, -1, 2**63 - 1, 2**64 - 1, 1.25, "ü✓", b"", bytearray(b"ab"), [], {}, (1, 2), None, True]
        expected = [0, -1, 2**63 - 1, 2**64 - 1, 1.25, "ü✓", b"", b"ab", [], {}, [1, 2], None, True]
        assert c.emit_with_ack("echo", *values, timeout=TIMEOUT) == expected
        with pytest.raises(sio.BadArgument, match="integer does not fit in 64 bits"):
            c.emit("echo", 2**64)


def test_blocking_waits_honour_ctrl_c():
    # The blocking classes only: an asyncio program gets Ctrl-C from asyncio.run
    # (test_processes.py covers both).
    main = threading.get_ident()
    rec = Recorder()
    with sio.Server() as server:
        server.on("connection", lambda s: rec.record("connection", s))
        with sio.Client(f"http://127.0.0.1:{server.listen()}") as c:
            @c.on("silent")
            def silent(ack):
                signal.pthread_kill(main, signal.SIGINT)  # Ctrl-C while the main thread waits

            c.connect(timeout=TIMEOUT)
            (socket,) = rec.wait("connection")
            with pytest.raises(KeyboardInterrupt):
                socket.emit_with_ack("silent")  # no timeout: only Ctrl-C ends this wait
            # the server keeps working after the interrupted wait
            c.on("double", lambda n: n * 2)
            assert socket.emit_with_ack("double", 2, timeout=TIMEOUT) == [4]
