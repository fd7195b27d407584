"""sio.Client(url, namespaces=[...]): several namespaces over one connection (the
Manager multiplexing of socket.io-client), with python-socketio's `namespace=` keyword;
against sio.Server, the reference Node server and a python-socketio server."""
from __future__ import annotations

import pytest

import sio_rs as sio
from conftest import TIMEOUT, Recorder


def test_namespaces_share_one_connection(server, run, make_client):
    rec = Recorder()
    for name in ("/", "/admin"):
        ns = server.of(name)
        ns.on("connection", lambda socket: rec.record("connection", socket.namespace, socket.id, socket.conn.id))
        ns.on("disconnect", lambda socket, reason: rec.record("server-disconnect", socket.namespace, reason))
        ns.on("where", lambda socket, *args: [socket.namespace, *args])
    url = f"http://127.0.0.1:{run(server.listen())}"

    c = make_client(url, namespaces=["/", "/admin"])
    assert c.namespace == "/"  # the URL's namespace is the default one
    for ns in ("/", "/admin"):
        c.on("connect", (lambda ns: lambda: rec.record("connect", ns))(ns), namespace=ns)
        c.on("disconnect", (lambda ns: lambda reason: rec.record("disconnect", ns, reason))(ns), namespace=ns)
    c.on("hello", lambda *args: rec.record("hello/", *args))  # namespace "/"
    c.on("hello", lambda *args: rec.record("hello/admin", *args), namespace="/admin")
    c.on_any(lambda event, *args: rec.record("any/admin", event, *args), namespace="/admin")
    with pytest.raises(sio.BadArgument, match="'/other' is not a namespace of this client"):
        c.on("hello", print, namespace="/other")

    c.connect(timeout=TIMEOUT)  # returns once every namespace is connected
    assert set(c.namespaces) == {"/", "/admin"}
    assert c.get_sid("/") == c.id and c.get_sid("/admin") not in (None, c.id)
    assert {rec.wait("connect")[0], rec.wait("connect")[0]} == {"/", "/admin"}
    seen = {ns: (sid, conn) for ns, sid, conn in (rec.wait("connection"), rec.wait("connection"))}
    assert seen["/"][0] == c.get_sid("/") and seen["/admin"][0] == c.get_sid("/admin")
    assert seen["/"][1] == seen["/admin"][1]  # one Engine.IO connection for both

    # emits and acks per namespace
    assert c.call("where", 1, timeout=TIMEOUT) == ["/", 1]
    assert c.call("where", 2, namespace="/admin", timeout=TIMEOUT) == ["/admin", 2]
    assert c.emit_with_ack("where", 3, namespace="/admin", timeout=TIMEOUT) == [["/admin", 3]]
    server.of("/admin").emit("hello", "to admin")
    server.emit("hello", "to root")
    assert rec.wait("hello/admin") == ("to admin",)
    assert rec.wait("hello/") == ("to root",)
    assert rec.all("any/admin") == [("hello", "to admin")]

    # one namespace leaves, the other stays on the same connection
    c.disconnect(namespace="/admin")
    assert rec.wait("disconnect") == ("/admin", sio.DisconnectReason.IO_CLIENT_DISCONNECT)
    assert rec.wait("server-disconnect") == ("/admin", sio.DisconnectReason.CLIENT_NAMESPACE_DISCONNECT)
    assert c.connected and c.active and set(c.namespaces) == {"/"}
    assert c.call("where", 4, timeout=TIMEOUT) == ["/", 4]
    # ... and comes back (a CONNECT on the open connection)
    c.connect(timeout=TIMEOUT)
    assert set(c.namespaces) == {"/", "/admin"}
    ns, _sid, conn = rec.wait("connection")
    assert ns == "/admin" and conn == seen["/"][1]

    c.disconnect()  # every namespace
    gone = {rec.wait("disconnect"), rec.wait("disconnect")}
    assert gone == {("/", sio.DisconnectReason.IO_CLIENT_DISCONNECT), ("/admin", sio.DisconnectReason.IO_CLIENT_DISCONNECT)}
    assert c.wait(TIMEOUT)
    assert not c.active and c.namespaces == {}


def test_namespace_arguments_are_checked(make_client):
    url = "http://127.0.0.1:9"  # nothing connects in this test
    with pytest.raises(sio.BadArgument, match="namespaces must not be empty"):
        make_client(url, namespaces=[])
    with pytest.raises(sio.BadArgument, match="starting with '/'"):
        make_client(url, namespaces=["admin"])
    with pytest.raises(sio.BadArgument, match="must not repeat"):
        make_client(url, namespaces=["/a", "/a"])
    with pytest.raises(sio.BadArgument, match="the URL's namespace '/chat' is not in namespaces"):
        make_client(url + "/chat", namespaces=["/admin"])
    c = make_client(url, namespaces=["/b", "/a"])
    assert c.namespace == "/b"  # the URL names none of them: the first is the default
    c = make_client(url + "/a", namespaces=["/b", "/a"])
    assert c.namespace == "/a"
    assert c.get_sid("/b") is None and not c.connected
    with pytest.raises(sio.BadArgument, match="'/c' is not a namespace of this client"):
        c.emit("x", namespace="/c")


def test_namespaces_against_reference_server(ref_server, make_client):
    rec = Recorder()
    c = make_client(ref_server.url, namespaces=["/", "/admin", "/dyn-7"], auth={"token": "secret"})
    for ns in ("/", "/admin", "/dyn-7"):
        c.on("welcome", (lambda ns: lambda info: rec.record("welcome", ns, info))(ns), namespace=ns)
    c.connect(timeout=TIMEOUT)
    welcomes = {ns: info for ns, info in (rec.wait("welcome"), rec.wait("welcome"), rec.wait("welcome"))}
    assert {ns: w["ns"] for ns, w in welcomes.items()} == {"/": "/", "/admin": "/admin", "/dyn-7": "/dyn-7"}
    assert {ns: w["id"] for ns, w in welcomes.items()} == c.namespaces
    assert welcomes["/admin"]["auth"] == {"token": "secret"}  # the auth goes with every CONNECT
    assert c.call("join", "r", namespace="/dyn-7", timeout=TIMEOUT) == sorted([c.get_sid("/dyn-7"), "r"])
    # the server ends one namespace: the others stay
    c.emit("disconnect-me", namespace="/dyn-7")
    c.on("disconnect", lambda reason: rec.record("dyn-disconnect", reason), namespace="/dyn-7")
    assert rec.wait("dyn-disconnect") == (sio.DisconnectReason.IO_SERVER_DISCONNECT,)
    assert set(c.namespaces) == {"/", "/admin"} and c.active
    assert c.call("echo", "still here", namespace="/admin", timeout=TIMEOUT) == "still here"
    c.disconnect()
    assert c.wait(TIMEOUT)

    # one namespace refused: connect() raises for it, the others connect all the same
    refused = make_client(ref_server.url, namespaces=["/", "/admin"], auth={"token": "wrong"})
    refused.on("connect", lambda: rec.record("root-connect"))
    with pytest.raises(sio.ConnectionError) as info:
        refused.connect(timeout=TIMEOUT)
    assert (info.value.namespace, info.value.message, info.value.data, info.value.active) == ("/admin", "unauthorized", {"reason": "bad token"}, False)
    rec.wait("root-connect")
    assert refused.connected and set(refused.namespaces) == {"/"}


def test_namespaces_against_python_socketio_server(py_server, make_client):
    rec = py_server.rec
    c = make_client(py_server.url, namespaces=["/chat", "/admin"], auth={"user": "ann"}, reconnection_delay=0.05, reconnection_delay_max=0.05)
    assert c.namespace == "/chat"
    for ns in ("/chat", "/admin"):
        c.on("connect", (lambda ns: lambda: rec.record("connect", ns))(ns), namespace=ns)
        c.on("disconnect", (lambda ns: lambda reason: rec.record("disconnect", ns, reason))(ns), namespace=ns)
        c.on("news", (lambda ns: lambda *args: rec.record("news", ns, *args))(ns), namespace=ns)
    c.on("reconnect", rec.handler("reconnect"))  # of the connection: registered once, runs once
    c.connect(timeout=TIMEOUT)
    conns = {ns: (sid, eio) for ns, sid, eio, _auth in (rec.wait("py:connect"), rec.wait("py:connect"))}
    assert {ns: sid for ns, (sid, _) in conns.items()} == c.namespaces
    assert conns["/chat"][1] == conns["/admin"][1]  # one Engine.IO session for both
    c.emit("emit-back", "news", "for admin", namespace="/admin")
    c.emit("emit-back", "news", "for chat")
    assert rec.wait("news") == ("/admin", "for admin")
    assert rec.wait("news") == ("/chat", "for chat")
    assert c.call("echo", 1, 2, namespace="/admin", timeout=TIMEOUT) == (1, 2)

    # the server closes the connection: both namespaces go and come back together
    c.emit("close-me", namespace="/admin")
    gone = {rec.wait("disconnect"), rec.wait("disconnect")}
    assert gone == {("/chat", sio.DisconnectReason.TRANSPORT_CLOSE), ("/admin", sio.DisconnectReason.TRANSPORT_CLOSE)}
    rec.wait("reconnect")
    for _ in range(2):
        rec.wait("py:connect")
    assert {rec.wait("connect")[0] for _ in range(4)} == {"/chat", "/admin"}  # 2 first, 2 again
    assert len(rec.all("reconnect")) == 1
    again = rec.all("py:connect")[2:]
    assert again[0][2] == again[1][2] and again[0][2] != conns["/chat"][1]  # a new shared session
    c.disconnect()
    assert c.wait(TIMEOUT)
