"""The core's log records in Python's `logging`: warnings always (a Redis outage), the
debug records of connections and disconnections with `logger=True`, a given Logger
receiving them instead of `sio.*`; python-socketio's client as the peer."""
from __future__ import annotations

import logging
import time

import pytest
import socketio

import sio_rs as sio
from conftest import TIMEOUT, free_port


def _record(caplog, logger: str, *words: str) -> logging.LogRecord:
    """The first record of `logger` containing every word; records arrive from runtime threads."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for r in list(caplog.records):
            if r.name == logger and all(w in r.getMessage() for w in words):
                return r
        time.sleep(0.02)
    seen = [(r.name, r.getMessage()) for r in caplog.records]
    pytest.fail(f"no {logger} record with {words} within {TIMEOUT}s; seen: {seen[-20:]}")


def test_logger_true_logs_connections_and_the_disconnect_reason(caplog, make_server, run):
    caplog.set_level(logging.DEBUG, logger="sio_rs")
    server = make_server(logger=True, engineio_logger=True)
    url = f"http://127.0.0.1:{run(server.listen())}"
    c = socketio.Client(reconnection=False)
    c.connect(url, wait_timeout=TIMEOUT)
    sid = c.get_sid("/")
    connected = _record(caplog, "sio_rs.server", "socket connected", sid)
    assert connected.levelno == logging.DEBUG
    _record(caplog, "sio_rs.engine", "session opened")
    c.disconnect()
    gone = _record(caplog, "sio_rs.server", "socket disconnected", sid)
    # python-socketio sends its DISCONNECT then closes the transport: either may win.
    assert gone.getMessage().endswith(("reason=client namespace disconnect", "reason=transport close"))


def test_a_redis_outage_is_logged_as_a_warning_without_any_flag(caplog):
    caplog.set_level(logging.WARNING, logger="sio_rs")
    server = sio.Server(adapter=sio.RedisAdapter(f"redis://127.0.0.1:{free_port()}"))
    try:
        r = _record(caplog, "sio_rs.redis", "redis unreachable")
        assert r.levelno == logging.WARNING
    finally:
        server.close()


def test_a_logger_given_receives_the_records(caplog, make_server, run):
    mine = logging.getLogger("app.realtime")
    caplog.set_level(logging.DEBUG, logger="app.realtime")
    server = make_server(logger=mine)
    url = f"http://127.0.0.1:{run(server.listen())}"
    c = socketio.Client(reconnection=False)
    c.connect(url, wait_timeout=TIMEOUT)
    try:
        _record(caplog, "app.realtime", "socket connected", c.get_sid("/"))
    finally:
        c.disconnect()


def test_a_bad_logger_flag_is_refused():
    with pytest.raises(sio.BadArgument):
        sio.Server(logger="yes")  # type: ignore[arg-type]
    with pytest.raises(sio.BadArgument):
        sio.Client("http://127.0.0.1:1", engineio_logger=3)  # type: ignore[arg-type]
