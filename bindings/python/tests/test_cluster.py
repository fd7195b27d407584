"""sio.Server(adapter=sio.RedisAdapter(url)) in one cluster with the official socket.io
server and @socket.io/redis-adapter (examples/cluster/node-server.js), behind a private
redis-server; python-socketio clients on each. Needs redis-server on PATH."""
from __future__ import annotations

import os
import subprocess
import time

import pytest
import socketio

import sio
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
def cluster():
    rport, nport = free_port(), free_port()
    redis = _start(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], "Ready to accept")
    url = f"redis://127.0.0.1:{rport}"
    node = _start(["node", NODE_SERVER, "--port", str(nport), "--redis", url, "--name", "node"], "listening on")
    server = sio.Server(adapter=sio.RedisAdapter(url))
    try:
        yield server, nport
    finally:
        server.close()
        for p in (node, redis):
            p.kill()
            p.wait()


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
