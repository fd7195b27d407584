"""Disconnect reasons: the exact strings of the reference implementation."""
from __future__ import annotations

import enum

__all__ = ["DisconnectReason"]


class DisconnectReason(str, enum.Enum):
    """Why a socket disconnected; compares equal to the reference string.

    Server side (``disconnecting`` / ``disconnect`` of a server socket) and client
    side (``disconnect`` of a client) share this enum; ``PING_TIMEOUT``,
    ``TRANSPORT_CLOSE``, ``TRANSPORT_ERROR``, ``PARSE_ERROR`` and ``FORCED_CLOSE``
    occur on both sides.
    """

    # server side
    SERVER_NAMESPACE_DISCONNECT = "server namespace disconnect"
    CLIENT_NAMESPACE_DISCONNECT = "client namespace disconnect"
    SERVER_SHUTTING_DOWN = "server shutting down"
    FORCED_SERVER_CLOSE = "forced server close"
    # client side
    IO_SERVER_DISCONNECT = "io server disconnect"
    IO_CLIENT_DISCONNECT = "io client disconnect"
    # both
    PING_TIMEOUT = "ping timeout"
    TRANSPORT_CLOSE = "transport close"
    TRANSPORT_ERROR = "transport error"
    PARSE_ERROR = "parse error"
    FORCED_CLOSE = "forced close"

    def __str__(self) -> str:
        return self.value
