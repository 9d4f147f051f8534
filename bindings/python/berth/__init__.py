"""Berth: embed the resource-placement engine in Python.

    import berth
    with berth.Engine({"backend.cluster": "demo", "engine.node_id": "n1"}) as engine:
        engine.join("srv-1")
        owner = engine.lookup("stream-42")
"""

from .engine import (Engine, Metrics, Options, Server, Snapshot, Status, Stream, StreamId,
                     version)
from .events import Event, EventKind, Events
from .errors import (BerthError, ConfigError, CorruptError, FencedError, InternalError,
                     InvalidArgumentError, NoServersError, NotFoundError, PermissionError,
                     PluginError, StateError, TimeoutError, UnavailableError)

__version__ = version()

__all__ = [
    "Engine", "Options", "Snapshot", "Status", "Metrics", "Server", "Stream", "StreamId", "version",
    "Event", "EventKind", "Events",
    "BerthError", "ConfigError", "CorruptError", "FencedError", "InternalError",
    "InvalidArgumentError", "NoServersError", "NotFoundError", "PermissionError", "PluginError",
    "StateError", "TimeoutError", "UnavailableError",
]
