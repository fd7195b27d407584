"""Heartbeat failures seen from Python: a server whose client stops answering pings
(`sio.DisconnectReason.PING_TIMEOUT` on the server socket), and a client whose server
stops sending them (the reference Node server, SIGSTOPped: `ping timeout`, then the
client reconnects once the server runs again)."""
from __future__ import annotations

import json
import signal
import time

import pytest
import requests
import websocket  # websocket-client, pinned in tests/interop/python/requirements.txt

import sio_rs as sio
from conftest import TIMEOUT, NodeServer, Recorder, free_port


def silent_websocket_client(port: int) -> object:
    """Opens an Engine.IO WebSocket session and connects to `/`, then reads nothing more:
    the server's pings are never answered."""
    ws = websocket.create_connection(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", timeout=TIMEOUT)
    assert ws.recv().startswith("0{")  # Engine.IO open
    ws.send("40")  # Socket.IO CONNECT to "/"
    assert ws.recv().startswith("40{")
    return ws


def silent_polling_client(port: int) -> object:
    """The same over HTTP long-polling: after the CONNECT, no more polls."""
    base = f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling"
    http = requests.Session()
    opened = http.get(base, timeout=TIMEOUT).text
    assert opened.startswith("0{")
    sid = json.loads(opened[1:])["sid"]
    assert http.post(f"{base}&sid={sid}", data="40", timeout=TIMEOUT).text == "ok"
    assert http.get(f"{base}&sid={sid}", timeout=TIMEOUT).text.startswith("40{")
    return http


@pytest.mark.parametrize("silent_client", [silent_websocket_client, silent_polling_client], ids=["websocket", "polling"])
def test_server_sees_ping_timeout(make_server, run, silent_client):
    rec = Recorder()
    server = make_server(ping_interval=0.3, ping_timeout=0.3)
    server.on("connection", lambda socket: rec.record("connection", socket.id, time.monotonic()))
    server.on("disconnecting", lambda socket, reason: rec.record("disconnecting", socket.id, reason))
    server.on("disconnect", lambda socket, reason: rec.record("disconnect", socket.id, reason, time.monotonic()))
    port = run(server.listen())
    # Timed from before the handshake: the `connection` event reaches Python some time
    # after the session opened (more under load), which would shorten the measured gap.
    started = time.monotonic()
    client = silent_client(port)
    try:
        sid, _ = rec.wait("connection")
        assert rec.wait("disconnecting") == (sid, sio.DisconnectReason.PING_TIMEOUT)
        gone_sid, reason, gone_at = rec.wait("disconnect")
        assert (gone_sid, reason) == (sid, sio.DisconnectReason.PING_TIMEOUT)
        assert reason == "ping timeout"
        # the first ping goes out after ping_interval; no pong within ping_timeout
        assert gone_at - started >= 0.5
        assert server.sockets == {}
    finally:
        client.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_client_sees_ping_timeout_and_reconnects(make_client, transport):
    ref = NodeServer(free_port(), ["--ping-interval", "300", "--ping-timeout", "300"])
    rec = Recorder()
    try:
        c = make_client(ref.url, transports=[transport], timeout=1.0, reconnection_delay=0.1, reconnection_delay_max=0.2)
        for name in ("connect", "disconnect", "reconnect_attempt", "reconnect"):
            c.on(name, rec.handler(name))
        c.connect(timeout=TIMEOUT)
        rec.wait("connect")
        first = c.id
        ref.proc.send_signal(signal.SIGSTOP)  # the server stops: no more pings
        assert rec.wait("disconnect") == (sio.DisconnectReason.PING_TIMEOUT,)
        assert c.active and not c.connected  # "ping timeout" reconnects
        assert rec.wait("reconnect_attempt") == (1,)
        ref.proc.send_signal(signal.SIGCONT)
        rec.wait("reconnect")
        rec.wait("connect")
        assert c.connected and c.id != first
        assert c.call("echo", "alive", timeout=TIMEOUT) == "alive"
    finally:
        ref.proc.send_signal(signal.SIGCONT)
        ref.stop()
