"""sio.Client and sio.AsyncClient against the official Node server
(tests/interop/reference-server.js, contract in tests/interop/CONTRACT.md)."""
from __future__ import annotations

import pytest

import sio_rs as sio
from conftest import TIMEOUT, Recorder, free_port


def recorded(make_client, url, rec, **kw):
    c = make_client(url, **kw)
    for name in ("connect", "connect_error", "disconnect", "reconnect_attempt", "reconnect_failed", "welcome"):
        c.on(name, rec.handler(name))
    return c


def test_connect_welcome_and_acks_both_ways(ref_server, make_client):
    rec = Recorder()
    with recorded(make_client, ref_server.url, rec, auth={"token": "abc"}, transports=["websocket"]) as c:
        c.connect(timeout=TIMEOUT)
        rec.wait("connect")
        assert c.connected and c.active and c.id
        (welcome,) = rec.wait("welcome")
        assert welcome["id"] == c.id
        assert welcome["auth"] == {"token": "abc"}
        assert welcome["transport"] == "websocket"
        # client → server ack, binary both ways
        assert c.emit_with_ack("echo", "x", b"\x00\x01", {"b": [b"\x02"]}, timeout=TIMEOUT) == ["x", b"\x00\x01", {"b": [b"\x02"]}]
        assert c.call("join", "room-1", timeout=TIMEOUT) == sorted([c.id, "room-1"])
        assert c.call("transport") == "websocket"

        # server → client ack: `ask` makes the server emit_with_ack to us
        @c.on("question")
        def question(n):
            return n * 2

        assert c.call("ask", "question", 21, timeout=TIMEOUT) == (None, [42])

        @c.on("question-ack")
        def question_ack(n, ack):
            ack("via ack", n)

        assert c.call("ask", "question-ack", 1, timeout=TIMEOUT) == (None, ["via ack", 1])
        c.disconnect()
        assert rec.wait("disconnect") == (sio.DisconnectReason.IO_CLIENT_DISCONNECT,)
        assert c.wait(TIMEOUT)
        assert not c.connected and not c.active


def test_the_urls_query_reaches_the_handshake(ref_server, make_client):
    # As python-engineio and socket.io-client: the URL's query is sent; `query=` adds to
    # it and wins for a name both give.
    rec = Recorder()
    with recorded(make_client, ref_server.url + "/?room=r1&empty=&x=url", rec, query={"x": "kw"}) as c:
        c.connect(timeout=TIMEOUT)
        (welcome,) = rec.wait("welcome")
        query = welcome["query"]
        assert (query["room"], query["empty"], query["x"], query["EIO"]) == ("r1", "", "kw", "4")


def test_io_server_disconnect(ref_server, make_client):
    rec = Recorder()
    with recorded(make_client, ref_server.url, rec) as c:
        c.connect(timeout=TIMEOUT)
        c.emit("disconnect-me")
        (reason,) = rec.wait("disconnect")
        assert reason is sio.DisconnectReason.IO_SERVER_DISCONNECT
        assert reason == "io server disconnect"
        assert c.wait(TIMEOUT)
        assert not c.active
        log = ref_server.wait_log(ev="disconnect")
        assert log["reason"] == "server namespace disconnect"


def test_connect_error_refused_is_not_active(ref_server, make_client):
    rec = Recorder()
    with recorded(make_client, ref_server.url + "/admin", rec, auth={"token": "wrong"}) as c:
        with pytest.raises(sio.ConnectionError) as info:
            c.connect(timeout=TIMEOUT)
        assert info.value.message == "unauthorized"
        assert info.value.data == {"reason": "bad token"}
        assert info.value.active is False
        assert info.value.namespace == "/admin"
        (err,) = rec.wait("connect_error")
        assert err.message == "unauthorized" and err.data == {"reason": "bad token"}
        assert not c.active and not c.connected
    with recorded(make_client, ref_server.url + "/admin", rec, auth={"token": "secret"}) as ok:
        ok.connect(timeout=TIMEOUT)
        assert ok.namespace == "/admin"
        assert ok.connected


def test_connect_error_unreachable_is_active_and_retries(make_client):
    rec = Recorder()
    url = f"http://127.0.0.1:{free_port()}"  # nobody listens
    with recorded(make_client, url, rec, reconnection_attempts=2, reconnection_delay=0.05, reconnection_delay_max=0.05) as c:
        with pytest.raises(sio.ConnectionError) as info:
            c.connect(timeout=TIMEOUT)
        assert info.value.active is True
        assert isinstance(info.value, ConnectionError)  # also the builtin
        assert rec.wait("reconnect_attempt") == (1,)
        assert rec.wait("reconnect_attempt") == (2,)
        rec.wait("reconnect_failed")
        assert c.wait(TIMEOUT)
        assert not c.connected


def test_ack_timeout_and_bad_input(ref_server, make_client):
    rec = Recorder()
    with recorded(make_client, ref_server.url, rec) as c:
        c.connect(timeout=TIMEOUT)
        with pytest.raises(sio.TimeoutError):
            c.emit_with_ack("no-answer", timeout=0.2)  # the server never acks this event
        with pytest.raises(sio.BadArgument, match=r"cannot send a value of type 'set' \(supported: dict, list"):
            c.emit("echo", {1, 2, 3})
        with pytest.raises(sio.BadArgument, match="cannot send a value of type 'object'"):
            c.emit("echo", object())
        with pytest.raises(sio.BadArgument, match="cannot send a value of type 'object'"):
            c.emit_with_ack("echo", {"k": [object()]}, timeout=TIMEOUT)
        with pytest.raises(sio.BadArgument, match="cannot send a value of type 'set'"):
            c.call("echo", {1}, timeout=TIMEOUT)
        with pytest.raises(sio.ReservedEventError, match='"connect" is a reserved event name'):
            c.emit("connect")
        with pytest.raises(sio.ReservedEventError, match='"disconnect" is a reserved event name'):
            c.emit_with_ack("disconnect", timeout=TIMEOUT)
        with pytest.raises(sio.BadArgument, match="event name must be a str, not int"):
            c.emit(42)
        with pytest.raises(sio.BadArgument, match="'/nope' is not a namespace of this client"):
            c.emit("echo", 1, namespace="/nope")
        # the client still works
        assert c.call("echo", [1, {"a": None}], timeout=TIMEOUT) == [1, {"a": None}]
    with pytest.raises(sio.BadArgument, match="unknown transport"):
        make_client(ref_server.url, transports=["smoke-signals"])
    with pytest.raises(sio.BadArgument, match="auth must be a dict"):
        make_client(ref_server.url, auth="not a dict")
