"""Connection state recovery: sio.Server / sio.AsyncServer with the official JS client,
and sio.Client / sio.AsyncClient with the reference Node server (`--recovery`) behind a
proxy that cuts connections."""
from __future__ import annotations

from typing import List

import sio_rs as sio
from conftest import TIMEOUT, CuttingProxy, NodeServer, Recorder, free_port, run_node

# Two clients on separate connections: "main" (recovers) and "observer" (the signal
# channel while main is away). Main: notes the arguments of "plain"/"vol" (asked for after
# "plain"), then breaks
# its transport; reconnection is off, so it connects again only when the server tells
# the observer "go". After recovery it prints what it got, and exits on "after".
RECOVERY_SCRIPT = r"""
const { io } = require("socket.io-client");
const url = process.argv[process.argv.length - 1];
const out = (o) => console.log(JSON.stringify(o));
const main = io(url, { forceNew: true, reconnection: false, transports: ["websocket"], auth: { role: "main" } });
let got = [];
main.onAny((ev, ...args) => got.push([ev, ...args]));
let firstId = null;
main.on("connect", () => {
  if (firstId === null) { firstId = main.id; out({ ev: "first", id: main.id, recovered: main.recovered }); return; }
  out({ ev: "second", id: main.id, recovered: main.recovered, sameId: main.id === firstId });
});
// socket.io drops a volatile packet while the transport is busy: asked for once "plain"
// is in, it finds the transport idle.
main.on("plain", () => main.emit("vol-please"));
main.on("vol", () => {
  out({ ev: "before", got });
  got = [];
  const observer = io(url, { forceNew: true, transports: ["websocket"], auth: { role: "observer" } });
  observer.on("go", () => main.connect());
  observer.on("connect", () => main.io.engine.close());  // break main's transport
});
main.on("after", () => { out({ ev: "recovered", got }); process.exit(0); });
main.on("disconnect", (reason) => out({ ev: "disconnect", reason }));
setTimeout(() => { out({ ev: "timeout", got }); process.exit(2); }, 15000);
"""


def test_js_client_recovers_id_rooms_and_missed_events(make_server, run):
    rec = Recorder()
    server = make_server(connection_state_recovery={"max_disconnection_duration": 30.0, "skip_middlewares": True})
    observers: List[sio.Socket] = []
    try:

        @server.on("connection")
        def on_connection(socket):
            role = socket.handshake["auth"].get("role")
            rec.record("connection", role, socket.id, socket.recovered)
            if role == "observer":
                observers.append(socket)
                return
            if socket.recovered:
                rec.record("rooms", socket.rooms)
                socket.emit("after")  # live, after the replayed packets
                return
            socket.join("r")
            socket.emit("plain", 1)  # stored: carries its offset
            # volatile: no offset, never stored
            socket.on("vol-please", lambda: socket.volatile.emit("vol", 2))

        @server.on("disconnect")
        def on_disconnect(socket, reason):
            if socket.handshake["auth"].get("role") != "main":
                return
            rec.record("disconnect", reason)
            # while main is away: stored for it (it was in "r"); a volatile one is not
            server.to("r").emit("missed", "m1")
            server.volatile.emit("missed-volatile", 3)
            server.to("elsewhere").emit("not-for-main", 4)
            observers[0].emit("go")

        url = f"http://127.0.0.1:{run(server.listen())}"
        lines = run_node(RECOVERY_SCRIPT, url)
    finally:
        run(server.close())
    by_ev = {l["ev"]: l for l in lines}
    assert "timeout" not in by_ev, lines
    role, sid, recovered = rec.wait("connection")
    assert (role, sid, recovered) == ("main", by_ev["first"]["id"], False)
    # "plain" got its offset (a string) as an extra argument, "vol" none
    (plain, vol) = by_ev["before"]["got"]
    assert plain[:2] == ["plain", 1] and len(plain) == 3 and isinstance(plain[2], str), plain
    assert vol == ["vol", 2]
    assert rec.wait("disconnect") == (sio.DisconnectReason.TRANSPORT_CLOSE,)
    assert rec.wait("connection")[0] == "observer"
    assert rec.wait("connection") == ("main", sid, True)
    assert rec.wait("rooms") == ({sid, "r"},)
    assert by_ev["second"] == {"ev": "second", "id": sid, "recovered": True, "sameId": True}
    missed, after = by_ev["recovered"]["got"]
    assert missed[:2] == ["missed", "m1"] and len(missed) == 3, missed
    assert after[0] == "after"  # (with its offset: every non-volatile emit is stored)


def test_sio_client_recovers_after_an_abrupt_drop(make_client):
    ref = NodeServer(free_port(), ["--recovery"])
    proxy = CuttingProxy(ref.port)
    rec = Recorder()
    try:
        c = make_client(proxy.url, transports=["websocket"], reconnection_delay=0.05, reconnection_delay_max=0.05)
        for name in ("connect", "disconnect", "welcome", "reconnect"):
            c.on(name, rec.handler(name))
        c.on("missed", rec.handler("missed"))
        with c:
            c.connect(timeout=TIMEOUT)
            welcome, _offset = rec.wait("welcome")  # events carry their offset
            first = c.id
            assert welcome["recovered"] is False and not c.recovered
            assert c.call("join", "r", timeout=TIMEOUT) == sorted([first, "r"])
            proxy.cut()  # no close packet: the transport just ends
            assert rec.wait("disconnect") == (sio.DisconnectReason.TRANSPORT_CLOSE,)
            ref.wait_log(ev="disconnect", id=first, reason="transport close")
            # emitted while the client is away, through another client
            with make_client(ref.url, transports=["websocket"]) as other:
                other.connect(timeout=TIMEOUT)
                other.emit("to-room", "r", "missed", "m1")
                other.call("echo", timeout=TIMEOUT)  # the server has handled to-room
            proxy.resume()
            rec.wait("reconnect")
            welcome, _offset = rec.wait("welcome")  # events carry their offset
            assert welcome["recovered"] is True
            assert c.recovered is True
            assert c.id == first
            missed = rec.wait("missed")
            assert missed[0] == "m1"
            assert c.call("transport", timeout=TIMEOUT) == "websocket"
    finally:
        proxy.close()
        ref.stop()
