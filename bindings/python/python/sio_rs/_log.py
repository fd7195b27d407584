"""The core's log records in Python's ``logging``: loggers ``sio_rs.server``,
``sio_rs.engine``, ``sio_rs.client`` and ``sio_rs.redis``. Warnings and errors (a Redis outage, a slow client
closed) always reach them; ``logger=True`` / ``engineio_logger=True`` (python-socketio's
flags) add the debug records (connections, upgrades, disconnections with their reason),
and a ``logging.Logger`` given there receives them instead."""
from __future__ import annotations

import atexit
import logging
import threading
from typing import Dict, Optional, Union

from . import _sio

_LEVELS = {"error": logging.ERROR, "warn": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG, "trace": 5}
_WARN, _DEBUG = 2, 4  # the core's levels (sio_core::embed::LogLevel)

_lock = threading.Lock()
_verbose = False
# A logger the user gave for a family ("sio_rs.server", "sio_rs.engine"...), replacing ours.
_routes: Dict[str, logging.Logger] = {}

LoggerFlag = Union[bool, logging.Logger]


def _forward(name: str, level: str, message: str) -> None:
    name = "sio_rs" + name[3:]  # the core's "sio.server" under this package's name
    target = _routes.get(name) or logging.getLogger(name)
    lvl = _LEVELS.get(level, logging.INFO)
    if target.isEnabledFor(lvl):
        target.log(lvl, "%s", message)


def _install(level: int) -> None:
    _sio.set_log_sink(level, _forward)


def _route(families: tuple, flag: LoggerFlag) -> None:
    global _verbose
    if flag is False or flag is None:
        return
    if not (flag is True or isinstance(flag, logging.Logger)):
        from .exceptions import BadArgument

        raise BadArgument("logger / engineio_logger must be a bool or a logging.Logger")
    with _lock:
        for family in families:
            if isinstance(flag, logging.Logger):
                _routes[family] = flag
            else:
                # As python-socketio: a logger switched on logs (here its debug records
                # too), to stderr when the application configured no logging at all.
                own = logging.getLogger(family)
                if own.level == logging.NOTSET:
                    own.setLevel(logging.DEBUG)
                if not logging.root.handlers and not own.handlers:
                    own.addHandler(logging.StreamHandler())
        if not _verbose:
            _verbose = True
            _install(_DEBUG)


def attach(logger: LoggerFlag, engineio_logger: LoggerFlag) -> None:
    """Applies a Server's or Client's ``logger`` / ``engineio_logger`` flags."""
    _route(("sio_rs.server", "sio_rs.client", "sio_rs.redis"), logger)
    _route(("sio_rs.engine",), engineio_logger)


def _stop() -> None:
    # No record may try to reach Python while the interpreter shuts down.
    _sio.set_log_sink(None, None)


_install(_WARN)
atexit.register(_stop)
