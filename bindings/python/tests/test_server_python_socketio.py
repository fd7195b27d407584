"""sio.Server (and sio.AsyncServer: see conftest) driven by python-socketio's client."""
from __future__ import annotations

import logging
import threading

import pytest
import socketio

import sio_rs as sio
from conftest import TIMEOUT, after


def connect(url, **kw):
    c = socketio.Client(reconnection=False)
    c.connect(url, wait_timeout=TIMEOUT, **kw)
    return c


def test_events_binary_and_ack_from_return_value(server, rec, run):
    @server.on("connection")
    def on_connection(socket):
        rec.record("connection", socket)

        @socket.on("echo")
        def echo(*args):
            socket.emit("echoed", *args)
            return args  # a tuple: several ack arguments

    url = f"http://127.0.0.1:{run(server.listen())}"
    c = connect(url)
    c.on("echoed", rec.handler("echoed"))
    payload = ("text", 42, 1.5, True, None, b"\x00\xffbin", {"nested": [b"\x01", {"k": "v"}]})
    assert c.call("echo", payload, timeout=TIMEOUT) == payload
    assert rec.wait("echoed") == payload
    (socket,) = rec.wait("connection")
    assert socket.id == c.get_sid("/")
    assert socket.namespace == "/"
    assert socket.transport in ("polling", "websocket")
    assert socket.recovered is False
    assert socket.handshake["query"]["EIO"] == "4"
    assert socket.handshake["auth"] == {}
    c.disconnect()


def test_handler_with_ack_parameter(server, run):
    @server.on("connection")
    def on_connection(socket):
        @socket.on("sum")
        def total(a, b, ack):
            ack(a + b, "done")

    c = connect(f"http://127.0.0.1:{run(server.listen())}")
    assert c.call("sum", (2, 3), timeout=TIMEOUT) == (5, "done")
    c.disconnect()


def test_ack_after_the_client_left_is_dropped_quietly(server, rec, run, caplog):
    """As in socket.io: answering a client that has gone is a no-op, not an error."""
    saved = {}

    @server.on("connection")
    def on_connection(socket):
        @socket.on("later")
        def later(ack):
            saved["ack"] = ack
            rec.record("asked")

        @socket.on("disconnect")
        def gone(reason):
            rec.record("late answer", saved["ack"]("too late"))

    c = connect(f"http://127.0.0.1:{run(server.listen())}")
    c.emit("later", callback=lambda *a: None)
    rec.wait("asked")
    c.disconnect()
    assert rec.wait("late answer") == (False,)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_ack_arguments_of_every_kind(server, run, caplog):
    """An answer is written as JSON text straight from the Python values (binary ones take
    the attachment path): the client reads back what it was given, and what cannot be sent
    is refused as an emit would refuse it."""
    import collections

    Point = collections.namedtuple("Point", "x y")
    several = (
        'é ü \u2028 "q" \\ \n\t \x00 \U0001f600',
        2**63 - 1,
        2**64 - 1,
        -(2**63),
        1.0,
        -0.5,
        1e300,
        2.5e-8,
        True,
        False,
        None,
        [],
        {},
        {"a": [1, {"b": None}], "é": "k"},
        (1, 2),
        Point(3, 4),
    )
    tried = []

    @server.on("several")
    def give_several(socket):
        return several

    @server.on("one")
    def give_one(socket):
        return {"k": [1.5, "x"], "bin": b"\x00\x01"}

    @server.on("unsendable")
    def give_unsendable(socket):
        return {1: "non-str key"}

    @server.on("by_hand")
    def by_hand(socket, ack):
        for bad in (float("nan"), 2**64, {"x": object()}):
            try:
                ack(bad)
            except sio.BadArgument as e:
                tried.append(str(e))
        tried.append(ack("ok", b"\x02"))  # refused answers sent nothing: this one goes
        tried.append(ack("twice"))

    c = connect(f"http://127.0.0.1:{run(server.listen())}")
    expected = tuple(list(v) if isinstance(v, tuple) else v for v in several)
    assert c.call("several", timeout=TIMEOUT) == expected
    assert c.call("one", timeout=TIMEOUT) == {"k": [1.5, "x"], "bin": b"\x00\x01"}
    assert c.call("by_hand", timeout=TIMEOUT) == ("ok", b"\x02")
    assert tried[3:] == [True, False]
    assert "JSON has no NaN" in tried[0] and "does not fit in 64 bits" in tried[1]
    assert "cannot send a value of type 'object'" in tried[2]
    with pytest.raises(socketio.exceptions.TimeoutError):
        c.call("unsendable", timeout=0.5)
    assert any("could not send the acknowledgement" in r.getMessage() for r in caplog.records)
    c.disconnect()


def test_namespace_level_handler_gets_socket(server, run):
    @server.on("ping")
    def ping(socket, value):
        return {"from": socket.id, "value": value}

    c = connect(f"http://127.0.0.1:{run(server.listen())}")
    assert c.call("ping", 7, timeout=TIMEOUT) == {"from": c.get_sid("/"), "value": 7}
    c.disconnect()


def test_server_emit_with_ack_to_python_socketio(server, rec, run):
    server.on("connection", lambda s: rec.record("connection", s))
    c = connect(f"http://127.0.0.1:{run(server.listen())}")

    @c.on("question")
    def question(x, blob):
        return x * 2, blob[::-1]

    (socket,) = rec.wait("connection")
    assert run(socket.emit_with_ack("question", 21, b"\x01\x02", timeout=TIMEOUT)) == [42, b"\x02\x01"]
    c.disconnect()


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_handler_emits_then_waits_for_an_ack(server, rec, run, transport):
    """A handler that emits and then waits for the client's answer (blocking, on the
    dispatcher thread, for sio.Server): the emitted event and the question go out while it
    waits, whichever of its batch's handlers emitted before it."""

    @server.on("connection")
    def on_connection(socket):
        @socket.on("hello")
        def hello():
            socket.emit("note", "before the question")

        @socket.on("ask")
        def ask(n):
            socket.emit("note", "asking")
            return after(socket.emit_with_ack("question", n, timeout=TIMEOUT), lambda reply: reply[0])

    c = socketio.Client(reconnection=False)
    c.on("note", rec.handler("note"))
    c.on("question", lambda n: n + 1)
    c.connect(f"http://127.0.0.1:{run(server.listen())}", transports=[transport], wait_timeout=TIMEOUT)
    c.emit("hello")  # usually in the same batch of events as `ask`
    assert c.call("ask", 41, timeout=TIMEOUT) == 42
    assert [a for (a,) in rec.all("note")] == ["before the question", "asking"]
    c.disconnect()


def test_rooms_broadcast_and_to(server, rec, run):
    sockets = {}

    @server.on("connection")
    def on_connection(socket):
        name = socket.handshake["auth"]["name"]
        sockets[name] = socket
        socket.user = name  # free attributes
        if name != "carol":
            socket.join("lobby")
        rec.record("joined", name)

    url = f"http://127.0.0.1:{run(server.listen())}"
    clients = {}
    for name in ("alice", "bob", "carol"):
        c = connect(url, auth={"name": name})
        c.on("news", lambda *a, _n=name: rec.record("news:" + _n, *a))
        clients[name] = c
        rec.wait("joined")
    alice = sockets["alice"]
    assert alice.user == "alice"
    assert alice.rooms == {alice.id, "lobby"}

    alice.to("lobby").emit("news", "lobby only")  # bob (not alice: the sender, not carol)
    alice.broadcast.emit("news", "everyone else")  # bob and carol
    server.to("lobby").emit("news", "from server")  # alice and bob
    server.except_("lobby").emit("news", "outside")  # carol

    assert rec.wait("news:bob") == ("lobby only",)
    assert rec.wait("news:bob") == ("everyone else",)
    assert rec.wait("news:bob") == ("from server",)
    assert rec.wait("news:carol") == ("everyone else",)
    assert rec.wait("news:carol") == ("outside",)
    assert rec.wait("news:alice") == ("from server",)
    # a marker after the rest proves nothing else was delivered to alice before it
    alice.emit("news", "marker")
    assert rec.wait("news:alice") == ("marker",)
    assert rec.all("news:alice") == [("from server",), ("marker",)]
    alice.leave("lobby")
    assert alice.rooms == {alice.id}
    for c in clients.values():
        c.disconnect()


def test_middleware_refusal_and_acceptance(server, rec, run):
    @server.use
    def check(socket):
        socket.token = socket.handshake["auth"].get("token")
        if socket.token != "secret":
            raise sio.ConnectionRefused("unauthorized", {"reason": "bad token"})

    server.on("connection", lambda s: rec.record("connection", s.token))
    url = f"http://127.0.0.1:{run(server.listen())}"
    bad = socketio.Client(reconnection=False)
    bad.on("connect_error", rec.handler("connect_error"))
    with pytest.raises(socketio.exceptions.ConnectionError):
        bad.connect(url, auth={"token": "nope"}, wait_timeout=TIMEOUT)
    assert rec.wait("connect_error") == ({"message": "unauthorized", "data": {"reason": "bad token"}},)
    good = connect(url, auth={"token": "secret"})
    assert rec.wait("connection") == ("secret",)  # attributes set in the middleware stay
    assert rec.all("connection") == [("secret",)]
    good.disconnect()


def test_middleware_exception_refuses_and_is_logged(server, rec, caplog, run):
    @server.use
    def broken(socket):
        raise RuntimeError("boom")

    url = f"http://127.0.0.1:{run(server.listen())}"
    c = socketio.Client(reconnection=False)
    c.on("connect_error", rec.handler("connect_error"))
    with caplog.at_level(logging.ERROR, logger="sio_rs"):
        with pytest.raises(socketio.exceptions.ConnectionError):
            c.connect(url, wait_timeout=TIMEOUT)
        assert rec.wait("connect_error") == ({"message": "server error"},)
    assert "boom" in caplog.text


def test_handler_exception_is_logged_and_runtime_survives(server, caplog, run):
    @server.on("connection")
    def on_connection(socket):
        @socket.on("fail")
        def fail():
            raise ValueError("handler failure")

        @socket.on("ok")
        def ok():
            return "still alive"

    c = connect(f"http://127.0.0.1:{run(server.listen())}")
    with caplog.at_level(logging.ERROR, logger="sio_rs"):
        c.emit("fail")
        assert c.call("ok", timeout=TIMEOUT) == "still alive"
    assert "handler failure" in caplog.text
    c.disconnect()


def test_packet_middleware_and_on_any(server, rec, run):
    @server.on("connection")
    def on_connection(socket):
        @socket.use
        def guard(event, args):
            if event == "forbidden":
                raise PermissionError("unauthorized event")
            args.append("tagged")

        socket.on("error", lambda exc: rec.record("error", str(exc)))
        socket.on_any(lambda event, *args: rec.record("any", event, *args))
        socket.on("hello", rec.handler("hello"))

    c = connect(f"http://127.0.0.1:{run(server.listen())}")
    c.emit("forbidden", 1)
    assert rec.wait("error") == ("unauthorized event",)
    c.emit("hello", "x")
    assert rec.wait("hello") == ("x", "tagged")
    # As socket.io: on_any runs before the middleware (it sees the refused event, and
    # not what the middleware adds).
    assert rec.all("any") == [("forbidden", 1), ("hello", "x")]
    c.disconnect()


def test_catch_all_families_prepend_off_and_listeners(server, rec, run):
    def a(event, *args):
        rec.record("any", "a", event)

    def b(event, *args):
        rec.record("any", "b", event)

    def first(event, *args):
        rec.record("any", "first", event)

    def out(event, *args):
        rec.record("out", "out", event)

    def out_first(event, *args):
        rec.record("out", "out_first", event)

    def unwrap(listeners):  # the asyncio variant registers on_any handlers wrapped
        return [getattr(f, "__wrapped__", f) for f in listeners]

    @server.on("connection")
    def on_connection(socket):
        socket.on_any(a)
        socket.on_any(b)
        socket.prepend_any(first)
        assert unwrap(socket.listeners_any()) == [first, a, b]
        socket.off_any(socket.listeners_any()[1])
        assert unwrap(socket.listeners_any()) == [first, b]
        socket.on_any_outgoing(out)
        socket.prepend_any_outgoing(out_first)
        assert socket.listeners_any_outgoing() == [out_first, out]

        @socket.on("one")
        def one():
            socket.emit("reply")
            socket.off_any()
            socket.off_any_outgoing(out_first)
            assert socket.listeners_any() == [] and socket.listeners_any_outgoing() == [out]

        @socket.on("two")
        def two():
            socket.emit("reply")
            rec.record("two")

    c = connect(f"http://127.0.0.1:{run(server.listen())}")
    # "two" after "one"'s handler has finished (its ack): with asyncio handlers run as
    # tasks, a "two" in the same batch would meet the listeners "one" removes
    c.call("one", timeout=TIMEOUT)
    c.emit("two")
    rec.wait("two")
    assert rec.all("any") == [("first", "one"), ("b", "one")]
    assert rec.all("out") == [("out_first", "reply"), ("out", "reply"), ("out", "reply")]
    c.disconnect()


def test_server_namespace_disconnect_and_disconnecting_sees_rooms(server, rec, run):
    @server.on("connection")
    def on_connection(socket):
        socket.join("r1")
        socket.on("disconnecting", lambda reason: rec.record("disconnecting", reason, socket.rooms))
        socket.on("disconnect", lambda reason: rec.record("disconnect", reason, socket.rooms))
        socket.on("kick", lambda: socket.disconnect())

    c = connect(f"http://127.0.0.1:{run(server.listen())}")
    c.on("disconnect", rec.handler("client_disconnect"))
    sid = c.get_sid("/")
    c.emit("kick")
    reason, rooms = rec.wait("disconnecting")
    assert reason == sio.DisconnectReason.SERVER_NAMESPACE_DISCONNECT
    assert reason == "server namespace disconnect" and isinstance(reason, str)
    assert rooms == {sid, "r1"}
    reason, rooms = rec.wait("disconnect")
    assert reason is sio.DisconnectReason.SERVER_NAMESPACE_DISCONNECT
    assert rooms == set()
    assert rec.wait("client_disconnect") == (socketio.Client.reason.SERVER_DISCONNECT,)
    assert server.sockets == {}


def test_disconnecting_handlers_see_a_connected_socket_that_can_emit(server, rec, run, mode):
    """As socket.io's `disconnecting`: the socket is still connected and in its rooms, and
    emits from it reach its rooms; it leaves (and `disconnect` runs) after the handlers,
    `async def` ones included."""
    import asyncio

    @server.on("connection")
    def on_connection(socket):
        socket.join("lobby")

        def leaving(reason):
            socket.emit("bye")  # to a client that has left: dropped, no error
            socket.to("lobby").emit("news", "left", socket.connected, sorted(socket.rooms - {socket.id}))
            rec.record("disconnecting", reason, socket.connected)

        async def leaving_later(reason):
            await asyncio.sleep(0)
            socket.to("lobby").emit("news", "still here", socket.connected)

        socket.on("disconnecting", leaving)
        if mode == "async":
            socket.on("disconnecting", leaving_later)
        socket.on("disconnect", lambda reason: rec.record("disconnect", reason, socket.connected))

    url = f"http://127.0.0.1:{run(server.listen())}"
    alice, bob = connect(url), connect(url)
    bob.on("news", rec.handler("news"))
    alice.disconnect()
    # python-socketio sends DISCONNECT and closes the transport: either may come first
    reason, connected = rec.wait("disconnecting")
    assert reason in (sio.DisconnectReason.CLIENT_NAMESPACE_DISCONNECT, sio.DisconnectReason.TRANSPORT_CLOSE)
    assert connected is True
    assert rec.wait("news") == ("left", True, ["lobby"])
    if mode == "async":
        assert rec.wait("news") == ("still here", True)
    assert rec.wait("disconnect") == (reason, False)
    bob.disconnect()


def test_transport_close(server, rec, run):
    server.on("disconnect", lambda socket, reason: rec.record("disconnect", reason))
    c = connect(f"http://127.0.0.1:{run(server.listen())}")
    c.eio.disconnect()  # Engine.IO close without a Socket.IO DISCONNECT
    assert rec.wait("disconnect") == (sio.DisconnectReason.TRANSPORT_CLOSE,)


def test_fetch_sockets_sees_data(server, rec, run):
    @server.on("connection")
    def on_connection(socket):
        socket.data = {"user": socket.handshake["auth"]["user"], "blob": b"\x07"}
        socket.join("members")
        rec.record("connection")

    url = f"http://127.0.0.1:{run(server.listen())}"
    a = connect(url, auth={"user": "a"})
    b = connect(url, auth={"user": "b"})
    rec.wait("connection")
    rec.wait("connection")
    remote = sorted(run(server.fetch_sockets()), key=lambda s: s.data["user"])
    assert [s.data for s in remote] == [{"user": "a", "blob": b"\x07"}, {"user": "b", "blob": b"\x07"}]
    assert [s.id for s in remote] == [a.get_sid("/"), b.get_sid("/")]
    assert all(s.rooms == {s.id, "members"} for s in remote)
    assert len(run(server.to("members").fetch_sockets())) == 2
    assert run(server.to("nobody").fetch_sockets()) == []
    # a remote socket reaches the live one
    b.on("direct", rec.handler("direct"))
    remote[1].emit("direct", "hi")
    assert rec.wait("direct") == ("hi",)
    a.disconnect()
    b.disconnect()


def test_broadcast_emit_with_ack_collects_answers(server, rec, run):
    server.on("connection", lambda s: rec.record("connection"))
    url = f"http://127.0.0.1:{run(server.listen())}"
    clients = [connect(url) for _ in range(2)]
    for i, c in enumerate(clients):
        c.on("count", lambda n, _i=i: n + _i)
    rec.wait("connection")
    rec.wait("connection")
    answers = run(server.emit_with_ack("count", 10, timeout=TIMEOUT))
    assert sorted(answers) == [[10], [11]]
    for c in clients:
        c.disconnect()


def test_bad_arguments(server, rec, run):
    server.on("connection", lambda s: rec.record("connection", s))
    c = connect(f"http://127.0.0.1:{run(server.listen())}")
    (socket,) = rec.wait("connection")
    with pytest.raises(sio.BadArgument, match=r"cannot send a value of type 'set' \(supported: dict, list"):
        socket.emit("x", {1, 2})
    with pytest.raises(sio.BadArgument, match="cannot send a value of type 'object'"):
        socket.emit("x", [1, {"deep": object()}])
    with pytest.raises(sio.BadArgument, match="cannot send a value of type 'set'"):
        run(socket.emit_with_ack("x", {3}, timeout=TIMEOUT))
    with pytest.raises(sio.BadArgument, match="cannot send a value of type 'frozenset'"):
        server.to("r").emit("x", frozenset())
    with pytest.raises(sio.BadArgument, match="cannot send a value of type 'object'"):
        socket.broadcast.emit("x", object())
    with pytest.raises(sio.BadArgument, match="dict keys must be str, not int"):
        socket.emit("x", {1: "non-str key"})
    with pytest.raises(sio.BadArgument, match="JSON has no NaN"):
        socket.emit("x", float("nan"))
    with pytest.raises(sio.BadArgument, match="cannot send a value of type 'object'"):
        socket.data = object()
    with pytest.raises(sio.BadArgument, match="event name must be a str, not int"):
        socket.emit(7)
    loop = []
    loop.append(loop)
    with pytest.raises(sio.BadArgument, match="nested too deeply"):
        socket.emit("x", loop)
    with pytest.raises(sio.ReservedEventError, match='"disconnect" is a reserved event name'):
        socket.emit("disconnect")
    with pytest.raises(sio.ReservedEventError, match='"connect" is a reserved event name'):
        server.emit("connect")
    with pytest.raises(sio.ReservedEventError, match="reserved"):
        run(socket.emit_with_ack("disconnecting", timeout=TIMEOUT))
    with pytest.raises(sio.ReservedEventError, match="reserved"):
        server.to("r").emit("newListener")
    assert issubclass(sio.BadArgument, sio.SocketIOError) and issubclass(sio.BadArgument, TypeError)
    assert issubclass(sio.ReservedEventError, sio.SocketIOError) and issubclass(sio.ReservedEventError, ValueError)
    # nothing of the above reached the client; the socket still works
    c.on("fine", rec.handler("fine"))
    socket.emit("fine", 1)
    assert rec.wait("fine") == (1,)
    c.disconnect()


def test_server_options_and_close(make_server, run, rec):
    with pytest.raises(sio.BadArgument, match="unknown transport"):
        make_server(transports=["carrier-pigeon"])
    with pytest.raises(sio.BadArgument, match="ping_interval"):
        make_server(ping_interval=-1)
    s = make_server(ping_interval=5, transports=["websocket"], connection_state_recovery={"max_disconnection_duration": 10})
    s.on("disconnect", lambda socket, reason: rec.record("disconnect", reason))
    c = socketio.Client(reconnection=False)
    c.connect(f"http://127.0.0.1:{run(s.listen())}", transports=["websocket"], wait_timeout=TIMEOUT)
    run(s.close())  # runs the disconnect handlers (an AsyncServer: awaits them) before returning
    assert rec.all("disconnect") == [(sio.DisconnectReason.SERVER_SHUTTING_DOWN,)]
    with pytest.raises(sio.SocketIOError):
        run(s.listen())
