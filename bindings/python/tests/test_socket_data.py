"""`socket.data` changed in place (`socket.data["x"] = 1`, nested too) is what
`fetch_sockets` and connection state recovery see, as an assignment is."""
from __future__ import annotations

import logging

import pytest
import socketio

import sio_rs as sio
from conftest import TIMEOUT, CuttingProxy, Recorder


def test_in_place_changes_reach_fetch_sockets(server, run, rec, caplog):
    @server.use
    def checked(socket):
        socket.data["checked"] = True  # in place, on the `{}` every socket starts with

    @server.on("connection")
    def on_connection(socket):
        socket.data["user"] = socket.handshake["auth"]["user"]
        rec.record("connection", socket)

    @server.on("visit")
    def visit(socket, tag):
        socket.data["visits"] = socket.data.get("visits", 0) + 1
        socket.data.setdefault("tags", []).append(tag)  # nested
        return socket.data["visits"]

    @server.on("spoil")
    def spoil(socket):
        socket.data["bad"] = {1, 2}  # cannot be sent: logged when the handler returns

    c = socketio.Client(reconnection=False)
    c.connect(f"http://127.0.0.1:{run(server.listen())}", auth={"user": "ann"}, wait_timeout=TIMEOUT)
    (sock,) = rec.wait("connection")
    assert sock.data is sock.data  # one object, changed in place
    assert c.call("visit", "a", timeout=TIMEOUT) == 1
    assert c.call("visit", "b", timeout=TIMEOUT) == 2
    (remote,) = run(server.fetch_sockets())
    assert remote.data == {"checked": True, "user": "ann", "visits": 2, "tags": ["a", "b"]}

    # changed by this thread, outside any handler: written back by fetch_sockets itself
    sock.data["tags"].append("c")
    sock.data.pop("checked")
    (remote,) = run(server.fetch_sockets())
    assert remote.data == {"user": "ann", "visits": 2, "tags": ["a", "b", "c"]}
    assert remote.data is not sock.data  # a snapshot

    # assignment still works, and in-place changes go on from the new object
    sock.data = {"fresh": []}
    sock.data["fresh"].append(1)
    assert [r.data for r in run(server.fetch_sockets())] == [{"fresh": [1]}]

    # what cannot be sent: logged after the handler, refused (BadArgument) by fetch_sockets
    with caplog.at_level(logging.ERROR, logger="sio_rs"):
        c.call("spoil", timeout=TIMEOUT)
    assert f"socket.data of / {sock.id} cannot be stored" in caplog.text
    with pytest.raises(sio.BadArgument, match=f"socket.data of / {sock.id} cannot be stored: cannot send a value of type 'set'"):
        run(server.fetch_sockets())
    del sock.data["bad"]
    assert [r.data for r in run(server.fetch_sockets())] == [{"fresh": [1]}]
    c.disconnect()


def test_in_place_changes_survive_recovery(make_server, run):
    rec = Recorder()
    server = make_server(connection_state_recovery={"max_disconnection_duration": 30.0})

    @server.on("connection")
    def on_connection(socket):
        rec.record("connection", socket.id, socket.recovered, dict(socket.data))
        socket.emit("hello")  # the client recovers from the offset of the last event it got

    @server.on("count")
    def count(socket):
        socket.data["n"] = socket.data.get("n", 0) + 1
        return socket.data["n"]

    server.on("disconnect", lambda socket, reason: rec.record("disconnect", reason))
    proxy = CuttingProxy(run(server.listen()))
    try:
        with sio.Client(proxy.url, transports=["websocket"], reconnection_delay=0.05, reconnection_delay_max=0.05) as c:
            c.on("reconnect", rec.handler("reconnect"))
            c.on("connect", lambda: rec.record("client-connect", c.recovered))
            c.connect(timeout=TIMEOUT)
            assert rec.wait("client-connect") == (False,)
            sid, recovered, data = rec.wait("connection")
            assert (recovered, data) == (False, {})
            assert c.call("count", timeout=TIMEOUT) == 1
            assert c.call("count", timeout=TIMEOUT) == 2
            proxy.cut()  # the session (with socket.data) is kept for recovery
            assert rec.wait("disconnect") == (sio.DisconnectReason.TRANSPORT_CLOSE,)
            proxy.resume()
            rec.wait("reconnect")
            assert rec.wait("connection") == (sid, True, {"n": 2})
            assert rec.wait("client-connect") == (True,)
            assert c.call("count", timeout=TIMEOUT) == 3
    finally:
        proxy.close()
