"""Dynamic namespaces (python-socketio client), transport upgrades, on_any_outgoing and
volatile emits (official JS client)."""
from __future__ import annotations

import re

import pytest
import socketio

import sio_rs as sio
from conftest import TIMEOUT, Recorder, run_node


def test_dynamic_namespaces_share_the_parents_handlers(server, rec, run):
    dyn = server.of(re.compile(r"^/dyn-\d+$"))
    assert server.of(re.compile(r"^/dyn-\d+$")) is dyn
    with pytest.raises(sio.BadArgument):
        server.of(re.compile(r"^/a(?=b)"))  # Python accepts the look-ahead, Rust's regex does not

    @dyn.on("connection")
    def on_connection(socket):
        rec.record("connection", socket.namespace)

    @dyn.on("where")
    def where(socket, value):
        return [socket.namespace, value]

    dyn.on("disconnect", lambda socket, reason: rec.record("disconnect", socket.namespace, reason))
    url = f"http://127.0.0.1:{run(server.listen())}"

    c = socketio.Client(reconnection=False)
    for ns in ("/dyn-1", "/dyn-22"):
        c.on("hello", (lambda ns: lambda n: rec.record("hello" + ns, n))(ns), namespace=ns)
    c.connect(url, namespaces=["/dyn-1", "/dyn-22"], wait_timeout=TIMEOUT)
    assert {rec.wait("connection")[0], rec.wait("connection")[0]} == {"/dyn-1", "/dyn-22"}
    assert c.call("where", 5, namespace="/dyn-22", timeout=TIMEOUT) == ["/dyn-22", 5]
    assert c.call("where", 6, namespace="/dyn-1", timeout=TIMEOUT) == ["/dyn-1", 6]

    child = server.of("/dyn-1")
    assert child.parent is dyn and child.name == "/dyn-1"
    assert sorted(n.name for n in dyn.children) == ["/dyn-1", "/dyn-22"]
    assert set(dyn.sockets) == {c.get_sid("/dyn-1"), c.get_sid("/dyn-22")}
    dyn.emit("hello", 1)  # every child
    child.emit("hello", 2)  # that child only
    assert rec.wait("hello/dyn-1") == (1,)
    assert rec.wait("hello/dyn-1") == (2,)
    assert rec.all("hello/dyn-22") == [(1,)]
    with pytest.raises(sio.SocketIOError):
        dyn.to("room")  # a parent only broadcasts with emit
    with pytest.raises(sio.SocketIOError, match="its middlewares are its parent's"):
        child.use(lambda socket: None)  # the core shares one middleware list per parent

    # a name the pattern does not match is no namespace
    other = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        other.connect(url, namespaces=["/dyn-x"], wait_timeout=TIMEOUT)
    c.disconnect()
    gone = [rec.wait("disconnect"), rec.wait("disconnect")]
    assert {ns for ns, _ in gone} == {"/dyn-1", "/dyn-22"}
    # python-socketio closes the connection right after its DISCONNECT packets
    assert {r for _, r in gone} <= {sio.DisconnectReason.CLIENT_NAMESPACE_DISCONNECT, sio.DisconnectReason.TRANSPORT_CLOSE}


def test_dynamic_parent_middleware_decides_for_each_child(server, rec, run):
    dyn = server.of(re.compile(r"^/team-\w+$"))

    @dyn.use
    def only_members(socket):
        rec.record("middleware", socket.namespace, socket.handshake["auth"].get("user"))
        team = socket.namespace[len("/team-"):]
        if socket.handshake["auth"].get("team") != team:
            raise sio.ConnectionRefused("not a member", {"team": team})
        socket.data = {"team": team}

    @dyn.use
    def second(socket):  # runs after the first accepted
        rec.record("second", socket.namespace)

    dyn.on("connection", lambda socket: rec.record("connection", socket.namespace, socket.data))
    url = f"http://127.0.0.1:{run(server.listen())}"

    refused = socketio.Client(reconnection=False)
    refused.on("connect_error", rec.handler("connect_error"), namespace="/team-red")
    with pytest.raises(socketio.exceptions.ConnectionError):
        refused.connect(url, namespaces=["/team-red"], auth={"user": "ann", "team": "blue"}, wait_timeout=TIMEOUT)
    assert rec.wait("middleware") == ("/team-red", "ann")
    assert rec.wait("connect_error") == ({"message": "not a member", "data": {"team": "red"}},)

    ok = socketio.Client(reconnection=False)
    ok.connect(url, namespaces=["/team-blue"], auth={"user": "bob", "team": "blue"}, wait_timeout=TIMEOUT)
    assert rec.wait("middleware") == ("/team-blue", "bob")
    assert rec.wait("second") == ("/team-blue",)
    assert rec.wait("connection") == ("/team-blue", {"team": "blue"})
    assert rec.all("second") == [("/team-blue",)]  # the refused one stopped at the first
    assert rec.all("connection") == [("/team-blue", {"team": "blue"})]
    assert [s.data for s in run(server.of("/team-blue").fetch_sockets())] == [{"team": "blue"}]
    # a name the pattern does not match is no namespace: no middleware runs
    other = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        other.connect(url, namespaces=["/elsewhere"], wait_timeout=TIMEOUT)
    assert len(rec.all("middleware")) == 2
    ok.disconnect()


# Connects by polling and lets the client upgrade; once upgraded, says so and asks for
# a volatile event and a plain one; prints what it got, then leaves.
UPGRADE_SCRIPT = r"""
const { io } = require("socket.io-client");
const url = process.argv[process.argv.length - 1];
const out = (o) => console.log(JSON.stringify(o));
const s = io(url, { transports: ["polling", "websocket"] });
const got = [];
s.onAny((ev, ...args) => got.push([ev, ...args]));
s.on("connect", () => {
  const engine = s.io.engine;
  out({ ev: "connect", id: s.id, transport: engine.transport.name });
  const upgraded = () => s.emit("upgraded", engine.transport.name);
  if (engine.transport.name === "websocket") upgraded(); else engine.once("upgrade", upgraded);
});
s.on("last", () => { out({ ev: "got", got }); s.disconnect(); process.exit(0); });
setTimeout(() => { out({ ev: "timeout", got }); process.exit(2); }, 15000);
"""


def test_upgrade_event_transport_and_outgoing_hooks(server, run):
    rec = Recorder()

    @server.on("connection")
    def on_connection(socket):
        rec.record("connection", socket.id, socket.transport, socket.conn.transport, socket.conn.id)
        socket.conn.on("upgrade", lambda transport: rec.record("upgrade", transport, socket.transport))
        socket.on_any_outgoing(lambda event, *args: rec.record("outgoing", event, args))

        @socket.on_any_outgoing
        def tag(event, *args):  # runs before the packet is written: the client sees the tag
            if event == "plain":
                args[1]["hooked"] = True

        @socket.on("upgraded")
        def upgraded(name):
            rec.record("upgraded", name, socket.transport)
            # volatile first: socket.io drops a volatile packet while the transport is
            # still writing an earlier one
            socket.volatile.emit("vol", 2)
            socket.emit("plain", 1, {"a": b"\x01"})
            socket.broadcast.emit("not-for-the-hook")  # broadcasts are not outgoing events of a socket
            socket.emit("last")

    lines = run_node(UPGRADE_SCRIPT, f"http://127.0.0.1:{run(server.listen())}")
    by_ev = {l["ev"]: l for l in lines}
    assert "timeout" not in by_ev, lines
    sid, transport, conn_transport, conn_id = rec.wait("connection")
    assert sid == by_ev["connect"]["id"]
    # The client connects by polling; the handler reads the live transport, which is
    # "polling" unless the upgrade finished before the dispatcher ran the handler (a
    # heavily loaded machine). The `upgrade` event is dispatched after it either way.
    # Both are live reads, one after the other: the upgrade may land between them.
    assert (transport, conn_transport) in {("polling", "polling"), ("websocket", "websocket"), ("polling", "websocket")}
    assert transport == "polling" or rec.all("upgrade"), transport
    assert conn_id and conn_id != sid
    assert rec.wait("upgrade") == ("websocket", "websocket")
    assert rec.wait("upgraded") == ("websocket", "websocket")
    # (onAny sees "last" before its handler runs; a Buffer prints as {type, data})
    assert by_ev["got"]["got"] == [["vol", 2], ["plain", 1, {"a": {"type": "Buffer", "data": [1]}, "hooked": True}], ["last"]]
    assert [a for a in rec.all("outgoing")] == [("vol", (2,)), ("plain", (1, {"a": b"\x01", "hooked": True})), ("last", ())]
