"""python-socketio `socketio.Client` (threads: requests + websocket-client)
against the sio interop server (tests/interop/CONTRACT.md)."""

import threading
import time

import pytest
import socketio

from recorders import TIMEOUT, Recorder

# Arguments mixing JSON and binary, at top level and nested.
ARGS = (1, "two", b"\x00\x01\xfe\xff",
        {"nested": b"\x10\x20", "list": [b"a", 2.5, None, True, {"deep": b""}],
         "text": "caf\u00e9 \u2603"})


@pytest.fixture
def make_client():
    """make_client(namespaces=["/"], events=[...], **Client kwargs): a
    socketio.Client whose handlers record into `client.rec`; every client
    is shut down at teardown."""
    clients = []

    def _make(namespaces=("/",), events=("welcome", "echo"), **kw):
        kw.setdefault("reconnection", False)
        c = socketio.Client(**kw)
        rec = Recorder()
        for ns in namespaces:
            for ev in ("connect", "disconnect", "connect_error", *events):
                c.on(ev, rec.handler(ev, ns), namespace=ns)
        c.rec = rec
        clients.append(c)
        return c

    yield _make
    for c in clients:
        try:
            c.shutdown()
        except Exception:  # pragma: no cover - best effort teardown
            pass


def connect(client, server, namespaces=("/",), url_suffix="", **kw):
    kw.setdefault("wait_timeout", TIMEOUT)
    client.connect(server.url + url_suffix, namespaces=list(namespaces), **kw)
    return client


# ------------------------------------------------------------- transports
def test_connect_polling_only(server, make_client):
    c = connect(make_client(), server, transports=["polling"])
    sid = c.get_sid("/")
    welcome = c.rec.wait("welcome")[0]
    assert welcome["id"] == sid
    assert welcome["transport"] == "polling"
    log = server.wait_for_log({"ev": "connection", "ns": "/", "id": sid})
    assert log["transport"] == "polling"
    assert log["recovered"] is False
    assert c.transport() == "polling"
    assert c.call("transport", timeout=TIMEOUT) == "polling"
    assert c.call("echo", ("over", b"polling"), timeout=TIMEOUT) == \
        ("over", b"polling")
    assert server.find_logs({"ev": "upgrade"}) == []


def test_connect_websocket_only(server, make_client):
    c = connect(make_client(), server, transports=["websocket"])
    sid = c.get_sid("/")
    welcome = c.rec.wait("welcome")[0]
    assert welcome["id"] == sid
    assert welcome["transport"] == "websocket"
    log = server.wait_for_log({"ev": "connection", "ns": "/", "id": sid})
    assert log["transport"] == "websocket"
    assert c.transport() == "websocket"
    assert c.call("transport", timeout=TIMEOUT) == "websocket"
    assert c.call("echo", ("over", b"websocket"), timeout=TIMEOUT) == \
        ("over", b"websocket")
    assert server.find_logs({"ev": "upgrade"}) == []


def test_connect_default_upgrades_to_websocket(server, make_client):
    c = connect(make_client(), server)
    sid = c.get_sid("/")
    # python-engineio upgrades right after the polling handshake, before it
    # sends the namespace CONNECT, so the socket is created on websocket.
    welcome = c.rec.wait("welcome")[0]
    log = server.wait_for_log({"ev": "connection", "ns": "/", "id": sid})
    assert log["transport"] == welcome["transport"] == "websocket"
    assert c.transport() == "websocket"
    assert c.call("transport", timeout=TIMEOUT) == "websocket"
    assert c.call("echo", ("after", b"upgrade"), timeout=TIMEOUT) == \
        ("after", b"upgrade")
    # the contract logs every upgrade, also one that happens before the
    # first namespace is joined
    up = server.wait_for_log({"ev": "upgrade"})
    assert up["transport"] == "websocket"
    assert up["id"] in (c.sid, sid)  # engine id (or socket id)


# ----------------------------------------------------------- welcome, auth
def test_welcome_payload_and_auth(server, make_client):
    auth = {"token": "abc", "n": 1, "nested": {"list": [1, "x", None]}}
    c = connect(make_client(), server, url_suffix="/?foo=bar&n=1", auth=auth,
                transports=["websocket"])
    welcome = c.rec.wait("welcome")[0]
    query = welcome.pop("query")
    assert welcome == {"id": c.get_sid("/"), "ns": "/", "auth": auth,
                       "recovered": False, "transport": "websocket"}
    assert query["foo"] == "bar"
    assert query["n"] == "1"
    assert query["EIO"] == "4"
    assert query["transport"] == "websocket"
    hs = c.call("handshake", timeout=TIMEOUT)
    assert hs["auth"] == auth
    assert hs["query"]["foo"] == "bar"


def test_welcome_without_auth_is_empty_object(server, make_client):
    c = connect(make_client(), server, transports=["polling"])
    welcome = c.rec.wait("welcome")[0]
    assert welcome["auth"] == {}
    assert welcome["ns"] == "/"
    assert welcome["recovered"] is False


# -------------------------------------------------------------- namespaces
def test_multiple_namespaces(server, make_client):
    c = connect(make_client(namespaces=["/", "/dyn-7"]), server,
                namespaces=["/", "/dyn-7"])
    root, dyn = c.get_sid("/"), c.get_sid("/dyn-7")
    assert root and dyn and root != dyn
    w_root = c.rec.wait("welcome", "/")[0]
    w_dyn = c.rec.wait("welcome", "/dyn-7")[0]
    assert (w_root["ns"], w_root["id"]) == ("/", root)
    assert (w_dyn["ns"], w_dyn["id"]) == ("/dyn-7", dyn)
    server.wait_for_log({"ev": "connection", "ns": "/", "id": root})
    server.wait_for_log({"ev": "connection", "ns": "/dyn-7", "id": dyn})
    # an event in /dyn-7 is answered in /dyn-7 only
    assert c.call("echo", ("dyn", b"\x07"), namespace="/dyn-7",
                  timeout=TIMEOUT) == ("dyn", b"\x07")
    assert c.rec.wait("echo", "/dyn-7") == ("dyn", b"\x07")
    assert c.call("echo", "root", timeout=TIMEOUT) == "root"
    assert c.rec.wait("echo", "/") == ("root",)
    assert c.rec.all("echo", "/dyn-7") == [("dyn", b"\x07")]
    assert c.rec.all("echo", "/") == [("root",)]


# ------------------------------------------------------ events and binary
@pytest.mark.parametrize("transports", [["polling"], ["websocket"]],
                         ids=["polling", "websocket"])
def test_events_with_several_args_and_binary(server, make_client, transports):
    c = connect(make_client(), server, transports=transports)
    c.emit("echo", ARGS)
    assert c.rec.wait("echo") == ARGS
    c.emit("echo", b"\x00only-bytes\xff")
    got = c.rec.wait("echo", n=2)
    assert got == (b"\x00only-bytes\xff",)
    assert isinstance(got[0], bytes)
    c.emit("echo", ([b"x", [b"y"]], {}, []))
    assert c.rec.wait("echo", n=3) == ([b"x", [b"y"]], {}, [])


# -------------------------------------------------------------------- acks
@pytest.mark.parametrize("transports", [["polling"], ["websocket"]],
                         ids=["polling", "websocket"])
def test_ack_client_to_server(server, make_client, transports):
    c = connect(make_client(), server, transports=transports)
    assert c.call("echo", ARGS, timeout=TIMEOUT) == ARGS
    assert c.call("echo", b"\x01\x02", timeout=TIMEOUT) == b"\x01\x02"
    assert c.call("echo", {"a": [1, {"b": b"\x03"}]}, timeout=TIMEOUT) == \
        {"a": [1, {"b": b"\x03"}]}
    got = []
    done = threading.Event()

    def cb(*args):
        got.append(args)
        done.set()
    c.emit("echo", ("cb", 1), callback=cb)
    assert done.wait(TIMEOUT), "ack callback not called"
    assert got == [("cb", 1)]


@pytest.mark.parametrize("transports", [["polling"], ["websocket"]],
                         ids=["polling", "websocket"])
def test_ack_server_to_client(server, make_client, transports):
    c = make_client(events=())
    c.on("question", c.rec.handler(
        "question", reply=lambda arg: ("yes", {"bin": b"\x01\x02", "q": arg})))
    connect(c, server, transports=transports)
    reply = c.call("ask", ("question", {"q": 1, "b": b"\x03"}),
                   timeout=TIMEOUT)
    assert c.rec.all("question") == [({"q": 1, "b": b"\x03"},)]
    assert reply == (None, ["yes", {"bin": b"\x01\x02",
                                    "q": {"q": 1, "b": b"\x03"}}])


def test_ack_server_to_client_single_value(server, make_client):
    c = make_client(events=())
    c.on("one", c.rec.handler("one", reply=lambda arg: arg * 2))
    connect(c, server)
    assert c.call("ask", ("one", 21), timeout=TIMEOUT) == (None, [42])


def test_ack_server_to_client_timeout(server, make_client):
    release = threading.Event()
    c = make_client(events=())
    # the handler answers only after the server's 2000 ms ack timeout
    c.on("slow", c.rec.handler(
        "slow", reply=lambda arg: release.wait(TIMEOUT) and "late"))
    connect(c, server)
    t0 = time.monotonic()
    try:
        reply = c.call("ask", ("slow", 1), timeout=TIMEOUT)
    finally:
        release.set()
    elapsed = time.monotonic() - t0
    assert c.rec.all("slow") == [(1,)]
    assert reply == ("timeout", None)
    assert 1.8 <= elapsed < TIMEOUT, elapsed
    # the late ack must be ignored and the connection keep working
    assert c.call("echo", "still-alive", timeout=TIMEOUT) == "still-alive"


# ------------------------------------------------------------------- rooms
def test_join_and_leave(server, make_client):
    c = connect(make_client(), server)
    sid = c.get_sid("/")
    assert c.call("join", "r1", timeout=TIMEOUT) == sorted([sid, "r1"])
    assert c.call("join", "a0", timeout=TIMEOUT) == sorted([sid, "r1", "a0"])
    assert c.call("leave", "r1", timeout=TIMEOUT) == sorted([sid, "a0"])


def test_to_room(server, make_client):
    a, b, o = (connect(make_client(events=("welcome", "hello", "again")),
                       server) for _ in range(3))
    assert a.call("join", "r1", timeout=TIMEOUT) == \
        sorted([a.get_sid("/"), "r1"])
    b.call("join", "r1", timeout=TIMEOUT)
    # o is not in r1
    o.emit("to-room", ("r1", "hello", 1, {"b": b"\x09"}))
    assert a.rec.wait("hello") == (1, {"b": b"\x09"})
    assert b.rec.wait("hello") == (1, {"b": b"\x09"})
    o.call("transport", timeout=TIMEOUT)  # round trip after the emit
    assert o.rec.all("hello") == []
    # the sender is included when it is in the room
    a.emit("to-room", ("r1", "again", "x"))
    assert a.rec.wait("again") == ("x",)
    assert b.rec.wait("again") == ("x",)
    o.call("transport", timeout=TIMEOUT)
    assert o.rec.all("again") == []


def test_broadcast_excludes_sender(server, make_client):
    a, b, c = (connect(make_client(events=("welcome", "news")), server)
               for _ in range(3))
    a.emit("broadcast", ("news", "x", {"b": b"\x01"}))
    assert b.rec.wait("news") == ("x", {"b": b"\x01"})
    assert c.rec.wait("news") == ("x", {"b": b"\x01"})
    a.call("transport", timeout=TIMEOUT)
    assert a.rec.all("news") == []


def test_fetch_sees_data(server, make_client):
    a = connect(make_client(), server)
    b = connect(make_client(), server, transports=["polling"])
    assert a.call("set-data", {"name": "alice", "n": [1, 2]},
                  timeout=TIMEOUT) is True
    assert b.call("set-data", {"name": "bob"}, timeout=TIMEOUT) is True
    a.call("join", "r1", timeout=TIMEOUT)
    sa, sb = a.get_sid("/"), b.get_sid("/")
    expected = sorted([
        {"id": sa, "rooms": sorted([sa, "r1"]),
         "data": {"name": "alice", "n": [1, 2]}},
        {"id": sb, "rooms": [sb], "data": {"name": "bob"}},
    ], key=lambda s: s["id"])
    assert a.call("fetch", timeout=TIMEOUT) == expected
    assert b.call("fetch", timeout=TIMEOUT) == expected


# -------------------------------------------------- refused namespaces
def test_admin_refused_with_data(server, make_client):
    c = make_client(namespaces=["/admin"])
    with pytest.raises(socketio.exceptions.ConnectionError) as ei:
        connect(c, server, namespaces=["/admin"], auth={"token": "nope"})
    assert str(ei.value) == "One or more namespaces failed to connect: /admin"
    # python-socketio passes the CONNECT_ERROR payload object as one argument
    assert c.rec.all("connect_error", "/admin") == [
        ({"message": "unauthorized", "data": {"reason": "bad token"}},)]
    assert c.rec.all("connect", "/admin") == []
    assert c.rec.all("welcome", "/admin") == []
    assert not c.connected
    assert server.find_logs({"ev": "connection", "ns": "/admin"}) == []


def test_admin_accepted_with_token(server, make_client):
    c = connect(make_client(namespaces=["/admin"]), server,
                namespaces=["/admin"], auth={"token": "secret"})
    welcome = c.rec.wait("welcome", "/admin")[0]
    assert welcome["ns"] == "/admin"
    assert welcome["auth"] == {"token": "secret"}
    assert welcome["id"] == c.get_sid("/admin")
    server.wait_for_log({"ev": "connection", "ns": "/admin",
                         "id": c.get_sid("/admin")})


def test_unknown_namespace_refused(server, make_client):
    c = make_client(namespaces=["/nope"])
    with pytest.raises(socketio.exceptions.ConnectionError) as ei:
        connect(c, server, namespaces=["/nope"])
    assert str(ei.value) == "One or more namespaces failed to connect: /nope"
    assert c.rec.all("connect_error", "/nope") == [
        ({"message": "Invalid namespace"},)]
    assert not c.connected


def test_unknown_namespace_next_to_root(server, make_client):
    c = make_client(namespaces=["/", "/nope"])
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(c, server, namespaces=["/", "/nope"])
    assert c.rec.all("connect_error", "/nope") == [
        ({"message": "Invalid namespace"},)]
    assert c.rec.all("connect_error", "/") == []
    # "/" itself was accepted by the server
    server.wait_for_log({"ev": "connection", "ns": "/"})


# ----------------------------------------------------------- disconnects
@pytest.mark.parametrize("transports", [["polling"], ["websocket"]],
                         ids=["polling", "websocket"])
def test_server_disconnect_no_reconnect(server, make_client, transports):
    c = make_client(reconnection=True, reconnection_delay=0.1,
                    reconnection_delay_max=0.2, randomization_factor=0)
    connect(c, server, transports=transports)
    sid = c.get_sid("/")
    c.rec.wait("welcome")
    c.emit("disconnect-me")
    reason = c.rec.wait("disconnect")
    # python-socketio >= 5.12 passes the reason: SERVER_DISCONNECT is what
    # it reports for a DISCONNECT packet from the server
    assert reason == (socketio.Client.reason.SERVER_DISCONNECT,)
    log = server.wait_for_log({"ev": "disconnect", "ns": "/", "id": sid})
    assert log["reason"] == "server namespace disconnect"
    # no automatic reconnection after a server-side disconnect
    server.assert_no_log(
        lambda e: e["ev"] == "connection" and e["id"] != sid, within=1.5)
    assert c.rec.count("connect") == 1
    assert not c.connected


def test_server_disconnect_one_namespace_keeps_the_others(server,
                                                         make_client):
    """disconnect-me is socket.disconnect(false): only that namespace goes,
    the connection and the other namespaces stay."""
    c = connect(make_client(namespaces=["/", "/dyn-1"]), server,
                namespaces=["/", "/dyn-1"])
    root, dyn = c.get_sid("/"), c.get_sid("/dyn-1")
    c.emit("disconnect-me", namespace="/dyn-1")
    assert c.rec.wait("disconnect", "/dyn-1") == \
        (socketio.Client.reason.SERVER_DISCONNECT,)
    log = server.wait_for_log({"ev": "disconnect", "ns": "/dyn-1", "id": dyn})
    assert log["reason"] == "server namespace disconnect"
    assert c.connected
    assert c.call("echo", ("still", b"\x01"), timeout=TIMEOUT) == \
        ("still", b"\x01")
    assert c.rec.all("disconnect", "/") == []
    assert server.find_logs({"ev": "disconnect", "id": root}) == []


def flush_before_close(client):
    """python-engineio's Client.disconnect() queues the socket.io DISCONNECT
    packets and then sends CLOSE / closes the websocket without waiting for
    its write loop: over websocket the DISCONNECT frames are usually never
    sent (measured 17/20 against the Node reference server), over polling
    they are lost when a POST is in flight.  Wrap the engine.io disconnect so
    that the queued packets are written first (queue.join() returns once the
    write loop has sent them); client.disconnect() stays the public call."""
    eio = client.eio
    orig = eio.disconnect

    def disconnect(*args, **kwargs):
        if eio.state == "connected":
            q = eio.queue  # queue.Queue.join() without a timeout
            with q.all_tasks_done:
                assert q.all_tasks_done.wait_for(
                    lambda: q.unfinished_tasks == 0, timeout=TIMEOUT), \
                    "python-engineio write loop did not flush its queue"
        return orig(*args, **kwargs)
    eio.disconnect = disconnect


@pytest.mark.parametrize("transports", [["polling"], ["websocket"]],
                         ids=["polling", "websocket"])
def test_client_disconnect_seen_by_server(server, make_client, transports):
    c = connect(make_client(namespaces=["/", "/dyn-1"]), server,
                namespaces=["/", "/dyn-1"], transports=transports)
    sids = {ns: c.get_sid(ns) for ns in ("/", "/dyn-1")}
    assert c.call("join", "r1", timeout=TIMEOUT) == sorted([sids["/"], "r1"])
    flush_before_close(c)
    c.disconnect()
    for ns, sid in sids.items():
        ing = server.wait_for_log({"ev": "disconnecting", "ns": ns,
                                   "id": sid})
        log = server.wait_for_log({"ev": "disconnect", "ns": ns, "id": sid})
        assert ing["reason"] == "client namespace disconnect", ing
        assert log["reason"] == "client namespace disconnect", log
    assert server.find_logs({"ev": "disconnecting", "ns": "/"})[0]["rooms"] \
        == sorted([sids["/"], "r1"])
    assert c.rec.wait("disconnect") == \
        (socketio.Client.reason.CLIENT_DISCONNECT,)
    assert not c.connected


@pytest.mark.parametrize("transports", [["polling"], ["websocket"]],
                         ids=["polling", "websocket"])
def test_client_disconnect_unflushed_closes_server_socket(
        start_server, make_client, transports):
    """Plain client.disconnect() (whatever python-engineio manages to send):
    the server must close the socket. python-engineio sometimes drops its last
    packets, and a long-poll that is never aborted can only end by the
    heartbeat: with a 1 s heartbeat, any of the three reasons within 5 s."""
    server = start_server("--ping-interval", "1000", "--ping-timeout", "1000")
    c = connect(make_client(), server, transports=transports)
    sid = c.get_sid("/")
    c.call("transport", timeout=TIMEOUT)
    c.disconnect()
    log = server.wait_for_log({"ev": "disconnect", "ns": "/", "id": sid},
                              timeout=5)
    assert log["reason"] in ("client namespace disconnect",
                             "transport close", "ping timeout"), log


@pytest.mark.parametrize("transports", [["polling"], None],
                         ids=["polling", "upgrade"])
def test_reconnect_after_server_restart(server, make_client, transports):
    c = make_client(reconnection=True, reconnection_delay=0.1,
                    reconnection_delay_max=0.5, randomization_factor=0)
    connect(c, server, transports=transports)
    first = c.get_sid("/")
    assert c.rec.wait("welcome")[0]["id"] == first
    server.wait_for_log({"ev": "connection", "id": first})
    server.kill()
    reason = c.rec.wait("disconnect")
    assert reason == (socketio.Client.reason.TRANSPORT_ERROR,)
    server.restart()  # same port
    c.rec.wait("connect", n=2, timeout=3 * TIMEOUT)
    second = c.rec.wait("welcome", n=2)[0]
    assert second["id"] != first
    assert c.get_sid("/") == second["id"]
    server.wait_for_log({"ev": "connection", "ns": "/", "id": second["id"]})
    assert c.call("echo", ("back", b"\x00"), timeout=TIMEOUT) == \
        ("back", b"\x00")


# ----------------------------------------------------- per-packet middleware
def test_forbidden_event_rejected_by_middleware(server, make_client):
    c = connect(make_client(events=("welcome", "error-seen")), server)
    c.emit("forbidden", (1, 2))
    assert c.rec.wait("error-seen") == ("unauthorized event",)
    log = server.wait_for_log({"ev": "error", "id": c.get_sid("/")})
    assert log["message"] == "unauthorized event"
    assert c.connected
