"""server.on_upgrade sees every transport upgrade, also one that happens before any
namespace is joined (python-socketio clients upgrade first)."""
from __future__ import annotations

import socketio

import sio_rs as sio
from conftest import TIMEOUT, Recorder


def test_on_upgrade_sees_an_upgrade_before_the_namespace_connection():
    rec = Recorder()
    server = sio.Server()
    server.on_upgrade(rec.handler("upgrade"))
    server.on("connection", lambda socket: rec.record("connection", socket.conn.id))
    port = server.listen()
    client = socketio.Client()
    try:
        client.connect(f"http://127.0.0.1:{port}", wait_timeout=TIMEOUT)  # polling, then upgrade
        conn_id, transport = rec.wait("upgrade")
        assert transport == "websocket"
        assert rec.wait("connection") == (conn_id,)
    finally:
        client.disconnect()
        server.close()
