"""sio.Server(adapter=sio.RedisAdapter(url)) in one cluster with the official socket.io
server and @socket.io/redis-adapter (examples/cluster/node-server.js), behind a private
redis-server; python-socketio clients on each. Needs redis-server on PATH."""
from __future__ import annotations

import asyncio
import os
import subprocess
import time

import pytest
import socketio

import sio_rs as sio
from conftest import REPO, TIMEOUT, Recorder, free_port

NODE_SERVER = os.path.join(REPO, "examples", "cluster", "node-server.js")


def _start(cmd, ready: str) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if ready in line:
            return proc
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError(f"{cmd[0]} did not start")


@pytest.fixture
def node_cluster():
    """A private Redis and the Node socket.io server on it: (redis url, node port)."""
    rport, nport = free_port(), free_port()
    redis = _start(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], "Ready to accept")
    url = f"redis://127.0.0.1:{rport}"
    node = _start(["node", NODE_SERVER, "--port", str(nport), "--redis", url, "--name", "node"], "listening on")
    try:
        yield url, nport
    finally:
        for p in (node, redis):
            p.kill()
            p.wait()


@pytest.fixture
def cluster(node_cluster):
    url, nport = node_cluster
    server = sio.Server(adapter=sio.RedisAdapter(url))
    try:
        yield server, nport
    finally:
        server.close()


def test_broadcasts_and_fetch_sockets_cross_to_a_node_socket_io_server(cluster):
    server, nport = cluster
    rec = Recorder()

    @server.on("connection")
    def on_connection(socket):
        socket.data = {"on": "python"}

        @socket.on("emit-all")
        def emit_all(event, *args):
            server.emit(event, *args)

    port = server.listen()
    ours, theirs = socketio.Client(), socketio.Client()
    ours.on("hello", rec.handler("ours"))
    theirs.on("binary", rec.handler("theirs"))
    theirs.on("welcome", rec.handler("welcome"))
    ours.connect(f"http://127.0.0.1:{port}", transports=["websocket"], wait_timeout=TIMEOUT)
    theirs.connect(f"http://127.0.0.1:{nport}", transports=["websocket"], wait_timeout=TIMEOUT)
    try:
        rec.wait("welcome")
        # Subscriptions settle asynchronously: repeat until a broadcast from the Node server lands.
        for i in range(40):
            theirs.emit("emit-all", ("hello", "from-node", i))
            try:
                rec.wait("ours", timeout=0.25)
                break
            except pytest.fail.Exception:
                continue
        else:
            pytest.fail("a broadcast from the Node server never reached the sio client")
        ours.emit("emit-all", ("binary", b"\x01\x02"))
        assert rec.wait("theirs")[0] == b"\x01\x02"
        assert theirs.call("set-data", {"on": "node"}, timeout=TIMEOUT) is True
        seen = sorted((s.id, s.data) for s in server.fetch_sockets())
        assert seen == sorted([(ours.get_sid(), {"on": "python"}), (theirs.get_sid(), {"on": "node"})])
    finally:
        ours.disconnect()
        theirs.disconnect()


def test_adapter_must_be_a_redis_adapter():
    with pytest.raises(sio.BadArgument):
        sio.RedisAdapter("http://not-redis")
    with pytest.raises(sio.BadArgument):
        sio.Server(adapter="redis://127.0.0.1:6379")  # type: ignore[arg-type]


def test_unknown_adapter_kind_is_refused():
    with pytest.raises(sio.BadArgument, match="unknown kind"):
        sio.Server(adapter=sio.RedisAdapter("redis://127.0.0.1:1", kind="redis-cluster"))


@pytest.mark.parametrize("kind", ["redis-sharded", "redis-streams"])
def test_adapter_kinds_join_the_official_adapter_of_that_kind(kind):
    """RedisAdapter(url, kind=...) against node-server.js --adapter <kind> (the official
    createShardedAdapter or @socket.io/redis-streams-adapter)."""
    rport, nport = free_port(), free_port()
    redis = _start(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], "Ready to accept")
    url = f"redis://127.0.0.1:{rport}"
    node = _start(["node", NODE_SERVER, "--port", str(nport), "--redis", url, "--name", "node", "--adapter", kind], "listening on")
    server = sio.Server(adapter=sio.RedisAdapter(url, kind=kind))
    rec = Recorder()
    ours = socketio.Client()
    try:
        port = server.listen()
        ours.on("hello", rec.handler("ours"))
        theirs = socketio.Client()
        theirs.on("welcome", rec.handler("welcome"))
        ours.connect(f"http://127.0.0.1:{port}", transports=["websocket"], wait_timeout=TIMEOUT)
        theirs.connect(f"http://127.0.0.1:{nport}", transports=["websocket"], wait_timeout=TIMEOUT)
        try:
            rec.wait("welcome")
            for i in range(40):
                theirs.emit("emit-all", ("hello", "from-node", i))
                try:
                    rec.wait("ours", timeout=0.25)
                    break
                except pytest.fail.Exception:
                    continue
            else:
                pytest.fail(f"{kind}: a broadcast from the Node server never reached the sio client")
            assert _until(lambda: server.server_count() == 2, "two servers counted")
            ids = sorted(s.id for s in server.fetch_sockets())
            assert ids == sorted([ours.get_sid(), theirs.get_sid()])
        finally:
            theirs.disconnect()
    finally:
        ours.disconnect()
        server.close()
        for p in (node, redis):
            p.kill()
            p.wait()


def _until(check, what: str):
    """Cluster membership settles asynchronously (heartbeats over Redis): retry `check`."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    pytest.fail(f"{what} within {TIMEOUT}s")


def test_server_side_events_cross_to_a_node_socket_io_server_both_ways(cluster):
    server, nport = cluster
    rec = Recorder()
    server.on_server_side("note", rec.handler("note"))

    @server.on_server_side("whoami")
    def whoami():
        return "python"

    @server.on_server_side("sum")
    def total(a, b, ack):
        ack(a + b)

    server.listen()
    theirs = socketio.Client()
    theirs.connect(f"http://127.0.0.1:{nport}", transports=["websocket"], wait_timeout=TIMEOUT)
    try:
        _until(lambda: server.server_count() == 2, "the Node server never counted")
        # ours → theirs: with and without an answer
        assert server.server_side_emit_with_ack("whoami") == ["node"]
        assert server.server_side_emit("note", "from-python", b"\x01") == 1
        notes = _until(lambda: theirs.call("notes", timeout=TIMEOUT), "the note never reached the Node server")
        # The reference sends server-side events as JSON: there, as between two Node
        # servers, a buffer is its JSON form; sio turns that form back into bytes.
        assert notes == ["from-python", {"type": "Buffer", "data": [1]}]
        # theirs → ours: io.serverSideEmit and io.serverSideEmitWithAck on the Node server
        assert theirs.call("note-all", ("from-node", {"k": [1]}, b"\x02"), timeout=TIMEOUT) is True
        assert rec.wait("note") == ("from-node", {"k": [1]}, b"\x02")
        assert theirs.call("sse", "whoami", timeout=TIMEOUT) == [None, ["python"]]
        assert theirs.call("sse", ("sum", 2, 3), timeout=TIMEOUT) == [None, [5]]
    finally:
        theirs.disconnect()


def test_server_side_events_stay_in_their_namespace(cluster):
    server, nport = cluster

    @server.on_server_side("whoami", namespace="/admin")
    def whoami_admin():
        return "python@admin"

    @server.on_server_side("whoami")
    def whoami_main():
        return "python"

    server.listen()
    theirs = socketio.Client()
    theirs.connect(f"http://127.0.0.1:{nport}", transports=["websocket"], wait_timeout=TIMEOUT)
    try:
        _until(lambda: server.server_count() == 2, "the Node server never counted")
        # ours → theirs: io.of("/admin").on("whoami") answers, not io.on("whoami")
        assert server.server_side_emit_with_ack("whoami", namespace="/admin") == ["node@admin"]
        assert server.server_side_emit_with_ack("whoami") == ["node"]
        # theirs → ours: io.of("/admin").serverSideEmitWithAck reaches only the /admin handler
        assert theirs.call("sse-ns", ("/admin", "whoami"), timeout=TIMEOUT) == [None, ["python@admin"]]
        assert theirs.call("sse-ns", ("/", "whoami"), timeout=TIMEOUT) == [None, ["python"]]
    finally:
        theirs.disconnect()


def test_server_side_events_alone_and_bad_names():
    server = sio.Server()
    try:
        assert server.server_count() == 1
        assert server.server_side_emit("note", 1) == 0
        assert server.server_side_emit_with_ack("whoami") == []
        with pytest.raises(sio.ReservedEventError):
            server.server_side_emit("connect")
        with pytest.raises(sio.ReservedEventError):
            server.server_side_emit_with_ack("disconnect")
        with pytest.raises(sio.ReservedEventError):
            server.on_server_side("disconnecting", lambda: None)
        with pytest.raises(sio.BadArgument):
            server.server_side_emit("note", {1, 2})
    finally:
        server.close()


def test_async_server_side_events(node_cluster):
    """AsyncServer: `async def` server-side handlers answer; counts and acks are awaitable."""
    url, nport = node_cluster

    async def main():
        loop = asyncio.get_running_loop()
        async with sio.AsyncServer(adapter=sio.RedisAdapter(url)) as server:

            @server.on_server_side("whoami")
            async def whoami():
                assert asyncio.get_running_loop() is loop
                await asyncio.sleep(0)
                return "python-async"

            await server.listen()
            deadline = loop.time() + TIMEOUT
            while await server.server_count() != 2:
                assert loop.time() < deadline, "the Node server never counted"
                await asyncio.sleep(0.1)
            assert await server.server_side_emit_with_ack("whoami") == ["node"]
            theirs = socketio.AsyncClient()
            await theirs.connect(f"http://127.0.0.1:{nport}", transports=["websocket"], wait_timeout=TIMEOUT)
            try:
                assert await theirs.call("sse", "whoami", timeout=TIMEOUT) == [None, ["python-async"]]
            finally:
                await theirs.disconnect()

    asyncio.run(asyncio.wait_for(main(), 60))
