"""sio.Client and sio.AsyncClient against a python-socketio server (socketio.AsyncServer on
aiohttp, in this process: conftest.PySocketIOServer): acks both ways, connect_error
with `active` both ways, each disconnect reason with its reconnection rule."""
from __future__ import annotations

import pytest

import sio_rs as sio
from conftest import TIMEOUT, PySocketIOServer, Recorder, free_port

LIFECYCLE = ("connect", "connect_error", "disconnect", "reconnect_attempt", "reconnect", "reconnect_error", "reconnect_failed")


def recorded(make_client, url, rec, **kw):
    c = make_client(url, reconnection_delay=0.05, reconnection_delay_max=0.1, **kw)
    for name in LIFECYCLE:
        c.on(name, rec.handler(name))
    return c


def test_acks_both_ways(py_server, make_client):
    rec = py_server.rec
    c = recorded(make_client, py_server.url, rec, auth={"user": "ann"})

    @c.on("question")
    def question(n):
        return n * 2

    @c.on("question-ack")
    def question_ack(n, ack):
        ack("via ack", n)

    c.connect(timeout=TIMEOUT)
    rec.wait("connect")
    namespace, sid, _eio, auth = rec.wait("py:connect")
    assert (namespace, sid, auth) == ("/", c.id, {"user": "ann"})
    # client → server: python-socketio answers with the handler's return value
    assert c.call("echo", "x", b"\x00\x01", {"b": [b"\x02"]}, timeout=TIMEOUT) == ("x", b"\x00\x01", {"b": [b"\x02"]})
    assert c.emit_with_ack("echo", 1, timeout=TIMEOUT) == [1]
    # server → client: python-socketio's `call` gets our handler's answer
    assert c.call("ask", "question", 21, timeout=TIMEOUT) == 42
    assert c.call("ask", "question-ack", 1, timeout=TIMEOUT) == ("via ack", 1)
    with pytest.raises(sio.TimeoutError):
        c.emit_with_ack("no-such-handler", timeout=0.3)  # python-socketio sends no answer
    c.emit("emit-back", "question", 5)  # a plain event (no ack asked): the handler's result goes nowhere
    assert c.call("echo", "after", timeout=TIMEOUT) == "after"


def test_volatile_emits_are_dropped_while_disconnected_and_sent_while_connected(py_server, make_client):
    rec = py_server.rec
    c = recorded(make_client, py_server.url, rec)
    c.volatile.emit("record", "lost")  # not connected yet: dropped
    c.emit("record", "kept")  # buffered until connected
    c.connect(timeout=TIMEOUT)
    # The buffer goes out in order: a kept volatile emit would have come first.
    assert rec.wait("py:record") == ("kept",)
    c.volatile.emit("record", "live")
    assert rec.wait("py:record") == ("live",)


def test_catch_all_families_on_the_client(py_server):
    rec = py_server.rec
    with sio.Client(py_server.url, reconnection=False) as c:
        a = c.on_any(lambda event, *args: rec.record("any", "a", event, *args))
        first = c.prepend_any(lambda event, *args: rec.record("any", "first", event, *args))
        assert c.listeners_any() == [first, a]
        out = c.on_any_outgoing(lambda event, *args: rec.record("out", event, *args))
        assert c.listeners_any_outgoing() == [out]
        c.connect(timeout=TIMEOUT)
        c.emit("emit-back", "pushed", 1)  # the server emits `pushed(1)` back
        assert rec.wait("any") == ("first", "pushed", 1)
        assert rec.wait("any") == ("a", "pushed", 1)
        assert rec.wait("out") == ("emit-back", "pushed", 1)
        c.off_any(first)
        c.off_any_outgoing()
        assert c.listeners_any() == [a] and c.listeners_any_outgoing() == []
        c.emit("emit-back", "pushed", 2)
        assert rec.wait("any") == ("a", "pushed", 2)
        # `first` would have run before `a`; the outgoing listener is gone.
        assert rec.all("any") == [("first", "pushed", 1), ("a", "pushed", 1), ("a", "pushed", 2)]
        assert rec.all("out") == [("emit-back", "pushed", 1)]


def test_auth_changed_before_connecting_is_sent(py_server, make_client):
    """socket.io-client's `socket.auth.token = ..; socket.connect()`: the payload is read at
    each CONNECT, so a new dict and a dict changed in place both reach the server."""
    rec = py_server.rec
    c = recorded(make_client, py_server.url, rec, auth={"token": "bad"})
    with pytest.raises(sio.ConnectionError):
        c.connect(timeout=TIMEOUT)
    assert rec.wait("py:refused") == ("/",)
    c.auth["token"] = "ok"  # the same dict, changed in place
    c.connect(timeout=TIMEOUT)
    assert rec.wait("py:connect")[3] == {"token": "ok"}
    c.disconnect()
    c.wait(TIMEOUT)
    c.auth = {"user": "bob"}  # a new one
    c.connect(timeout=TIMEOUT)
    assert rec.wait("py:connect")[3] == {"user": "bob"}
    with pytest.raises(sio.BadArgument):
        c.auth = "token"  # type: ignore[assignment]
    c.disconnect()


def test_the_manager_reports_its_events(make_client):
    """`client.manager` (alias `client.io`), socket.io-client's Manager: open, ping, close,
    error and the reconnection events, which the client's own handlers still get."""
    rec = Recorder()
    server = PySocketIOServer(rec, ping_interval=0.2).start()
    try:
        c = make_client(server.url, reconnection_delay=0.05, reconnection_delay_max=0.1)
        assert c.io is c.manager
        with pytest.raises(sio.BadArgument):
            c.manager.on("connect", lambda: None)  # a socket event, not the Manager's
        for name in sio.Manager.EVENTS:
            c.manager.on(name, rec.handler("m:" + name))
        c.on("reconnect", rec.handler("client:reconnect"))
        c.connect(timeout=TIMEOUT)
        assert rec.wait("m:open") == ()
        assert rec.wait("m:ping") == ()
        c.emit("close-me")  # the server closes the Engine.IO connection
        assert rec.wait("m:close") == (sio.DisconnectReason.TRANSPORT_CLOSE,)
        assert rec.wait("m:reconnect_attempt") == (1,)
        assert rec.wait("m:reconnect") == (1,)
        assert rec.wait("client:reconnect") == (1,)
        assert rec.wait("m:open") == ()
        c.disconnect()
        assert c.wait(TIMEOUT)
    finally:
        server.stop()
    nobody = make_client(f"http://127.0.0.1:{free_port()}", reconnection=False)
    nobody.manager.on("error", rec.handler("m:error"))
    with pytest.raises(sio.ConnectionError):
        nobody.connect(timeout=TIMEOUT)
    (message,) = rec.wait("m:error")
    assert isinstance(message, str) and message


def test_connect_error_refused_is_not_active(py_server, make_client):
    rec = py_server.rec
    c = recorded(make_client, py_server.url, rec, auth={"token": "bad"})
    with pytest.raises(sio.ConnectionError) as info:
        c.connect(timeout=TIMEOUT)
    err = info.value
    assert (err.message, err.data, err.active, err.namespace) == ("unauthorized", {"reason": "bad token"}, False, "/")
    assert rec.wait("py:refused") == ("/",)
    (seen,) = rec.wait("connect_error")
    assert seen.message == "unauthorized" and seen.active is False
    assert not c.active and not c.connected
    assert c.wait(TIMEOUT)
    assert rec.all("reconnect_attempt") == []


def test_connect_error_until_the_server_starts(make_client):
    rec = Recorder()
    port = free_port()  # nobody listens yet
    c = recorded(make_client, f"http://127.0.0.1:{port}", rec)
    with pytest.raises(sio.ConnectionError) as info:
        c.connect(timeout=TIMEOUT)
    assert info.value.active is True  # a transport failure: the client keeps trying
    assert rec.wait("connect_error")[0].active is True
    assert rec.wait("reconnect_attempt") == (1,)
    assert c.active and not c.connected
    server = PySocketIOServer(rec, port=port).start()
    try:
        rec.wait("connect")
        (attempts,) = rec.wait("reconnect")
        assert attempts >= 1
        assert c.connected and c.id == rec.wait("py:connect")[1]
        assert c.call("echo", 5, timeout=TIMEOUT) == 5
        c.disconnect()
        assert c.wait(TIMEOUT)
    finally:
        server.stop()


def test_disconnect_handlers_that_take_details_get_them(py_server, make_client):
    """As socket.io-client's `disconnect` event: `details` (description, context) with
    `transport close`, None otherwise; handlers that take only the reason still work."""
    rec = py_server.rec
    c = recorded(make_client, py_server.url, rec)
    c.on("disconnect", lambda reason, details: rec.record("details", reason, details))
    c.connect(timeout=TIMEOUT)
    rec.wait("connect")
    c.emit("close-me")
    assert rec.wait("disconnect") == (sio.DisconnectReason.TRANSPORT_CLOSE,)
    reason, details = rec.wait("details")
    assert reason is sio.DisconnectReason.TRANSPORT_CLOSE
    assert isinstance(details, sio.DisconnectDetails)
    assert details.description in ("websocket connection closed", "transport closed by the server")
    rec.wait("connect")  # it reconnects by itself
    c.emit("disconnect-me")
    assert rec.wait("details") == (sio.DisconnectReason.IO_SERVER_DISCONNECT, None)
    c.disconnect()


@pytest.mark.parametrize(
    "how, reason, server_reason, reconnects",
    [
        ("disconnect-me", sio.DisconnectReason.IO_SERVER_DISCONNECT, "server disconnect", False),
        ("client.disconnect()", sio.DisconnectReason.IO_CLIENT_DISCONNECT, "client disconnect", False),
        ("close-me", sio.DisconnectReason.TRANSPORT_CLOSE, None, True),  # (python-socketio's own reason varies)
    ],
)
def test_disconnect_reason_and_reconnection(py_server, make_client, how, reason, server_reason, reconnects):
    rec = py_server.rec
    c = recorded(make_client, py_server.url, rec)
    c.connect(timeout=TIMEOUT)
    rec.wait("connect")
    first = c.id
    if how == "client.disconnect()":
        c.disconnect()
    else:
        c.emit(how)
    assert rec.wait("disconnect") == (reason,)
    namespace, sid, seen_by_server = rec.wait("py:disconnect")
    assert (namespace, sid) == ("/", first)
    if server_reason is not None:
        assert seen_by_server == server_reason
    if not reconnects:
        assert c.wait(TIMEOUT)  # no longer active: nothing will reconnect it
        assert not c.active and rec.all("reconnect_attempt") == []
        return
    assert c.active  # "transport close": the client reconnects by itself
    assert rec.wait("reconnect_attempt") == (1,)
    assert rec.wait("reconnect") == (1,)
    rec.wait("connect")
    assert c.connected and c.id != first
    assert c.call("echo", "back", timeout=TIMEOUT) == "back"
