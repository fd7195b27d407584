"""`Server.instrument` / `AsyncServer.instrument` (python-socketio's): the admin UI's
namespace answers python-socketio's client as python-socketio's instrumentation does
(config, all_sockets, server_stats, plain-password auth, the UI's commands), and bad
options raise BadArgument."""
from __future__ import annotations

import queue

import pytest
import socketio

import sio_rs as sio
from conftest import TIMEOUT


def admin_client(events: "queue.Queue") -> socketio.Client:
    c = socketio.Client(reconnection=False)
    for name in ("config", "all_sockets", "server_stats"):
        c.on(name, lambda *args, name=name: events.put((name, args)), namespace="/admin")
    return c


def next_of(events: "queue.Queue", name: str):
    while True:
        got, args = events.get(timeout=TIMEOUT)
        if got == name:
            return args


def test_events_and_commands(server, url):
    server.instrument(auth=False, server_id="py-face", server_stats_interval=0.5)
    user = socketio.Client(reconnection=False)
    gone: "queue.Queue" = queue.Queue()
    user.on("disconnect", lambda *reason: gone.put(reason))
    user.connect(url, wait_timeout=TIMEOUT)
    events: "queue.Queue" = queue.Queue()
    admin = admin_client(events)
    admin.connect(url, namespaces=["/admin"], wait_timeout=TIMEOUT)
    try:
        (config,) = next_of(events, "config")
        assert "MDISCONNECT" in config["supportedFeatures"]
        (sockets,) = next_of(events, "all_sockets")
        assert any(s["id"] == user.get_sid("/") and s["nsp"] == "/" for s in sockets), sockets
        (stats,) = next_of(events, "server_stats")
        assert stats["serverId"] == "py-face"
        assert stats["clientsCount"] == 2
        admin.emit("_disconnect", ("/", False, user.get_sid("/")), namespace="/admin")
        gone.get(timeout=TIMEOUT)
    finally:
        admin.disconnect()
        user.disconnect()


def test_plain_password_auth(server, url):
    server.instrument(auth={"username": "admin", "password": "changeit"}, read_only=True, mode="production")
    bad = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        bad.connect(url, namespaces=["/admin"], auth={"username": "admin", "password": "no"}, wait_timeout=TIMEOUT)
    events: "queue.Queue" = queue.Queue()
    good = admin_client(events)
    good.connect(url, namespaces=["/admin"], auth={"username": "admin", "password": "changeit"}, wait_timeout=TIMEOUT)
    try:
        (config,) = next_of(events, "config")
        assert config["supportedFeatures"] == ["AGGREGATED_EVENTS"]
    finally:
        good.disconnect()


def test_bad_options(server):
    with pytest.raises(sio.BadArgument):
        server.instrument()  # auth must be given (False for none)
    with pytest.raises(sio.BadArgument):
        server.instrument(auth=[{"username": "a", "password": "b"}])
    with pytest.raises(sio.BadArgument):
        server.instrument(auth=False, mode="staging")
    with pytest.raises(sio.BadArgument):
        server.instrument(auth=False, server_stats_interval=0)
    with pytest.raises(sio.BadArgument):
        server.instrument(auth=False, namespace="/")
    server.instrument(auth=False)
    with pytest.raises(sio.BadArgument):
        server.instrument(auth=False)  # once per server
