"""The keywords of ``sio.Server`` turned into the core's server options."""
from __future__ import annotations

import os
from typing import Any, Dict, List, Tuple

from .adapter import RedisAdapter
from .exceptions import BadArgument


# The keywords of `sio.Server` named after python-socketio, with the name of the core's
# option (sio_core::embed::ServerOptions) they set; every other keyword is the core's name.
_CORE_NAMES = {
    "cors_allowed_origins": "cors_origin",
    "connection_state_recovery": "recovery",
    "adapter": "cluster_url",
    "serializer": "parser",
}
_RECOVERY_KEYS = ("max_disconnection_duration", "skip_middlewares")
# python-engineio's cookie dict: attribute names (any case, `-` or `_`) -> the core's options.
_COOKIE_KEYS = {
    "path": "cookie_path",
    "httponly": "cookie_http_only",
    "samesite": "cookie_same_site",
    "secure": "cookie_secure",
    "domain": "cookie_domain",
    "max_age": "cookie_max_age",
}
# Keywords of `sio.Server` for Python itself (its logging), not options of the core.
HOST_KEYWORDS = ("logger", "engineio_logger")


def check_serializer(value: Any) -> str:
    """python-socketio's ``serializer`` as the core takes it: the name of one of the core's
    packet formats (the core checks the name). python-socketio's ``Packet`` subclasses
    have no meaning here."""
    if not isinstance(value, str):
        raise BadArgument(f"unsupported serializer {value!r}: sio_rs takes a name, 'default' or 'msgpack'")
    return value


def _server_options(kwargs: Dict[str, Any]) -> List[Tuple[str, str, Any]]:
    """The keywords of ``Server.__init__`` as (core name, keyword, value) for the core;
    only the shapes Python allows beyond the core's are translated here."""
    out: List[Tuple[str, str, Any]] = []
    for name, value in kwargs.items():
        if name in ("self", "__class__") or name in HOST_KEYWORDS:
            continue
        if name == "adapter":
            if value is not None and not isinstance(value, RedisAdapter):
                raise BadArgument("adapter must be a sio.RedisAdapter (or None: in memory)")
            # One keyword, two core options: the URL and the adapter's kind.
            out.append(("cluster_adapter", "RedisAdapter(kind=...)", None if value is None else value.kind))
            value = None if value is None else value.url
        elif name == "serializer" and value is not None:
            value = check_serializer(value)
        elif name in ("tls_cert", "tls_key") and isinstance(value, os.PathLike):
            value = os.fsdecode(value)  # a path; bytes are the PEM itself, str either
        elif name == "transports" and isinstance(value, str):
            value = [value]
        elif name in ("transports", "cors_allowed_origins") and isinstance(value, (list, tuple, set, frozenset)):
            value = list(value)
            if name == "cors_allowed_origins" and not value:
                value = None  # python-socketio's "no CORS handling": the default
        elif name == "cookie" and isinstance(value, dict):
            attrs = {}
            for key, v in value.items():
                k = str(key).lower().replace("-", "_").replace("http_only", "httponly").replace("same_site", "samesite")
                if k != "name" and k not in _COOKIE_KEYS:
                    raise BadArgument(f"unknown cookie attribute {key!r} (name, {', '.join(_COOKIE_KEYS)})")
                attrs[k] = v
            for key, core in _COOKIE_KEYS.items():
                out.append((core, f"cookie[{key!r}]", attrs.get(key)))
            value = attrs.get("name", True)
        elif name == "connection_state_recovery":
            if isinstance(value, dict):
                unknown = set(value) - set(_RECOVERY_KEYS)
                if unknown:
                    raise BadArgument(f"unknown connection_state_recovery keys: {sorted(unknown)}")
                for key in _RECOVERY_KEYS:
                    out.append((key, f"connection_state_recovery[{key!r}]", value.get(key)))
                value = True
            elif value is False:
                value = None  # off: the default
        out.append((_CORE_NAMES.get(name, name), name, value))
    return out
