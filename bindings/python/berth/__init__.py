"""Berth: embed the resource-placement engine in Python.

    import berth
    with berth.Engine({"backend.cluster": "demo", "engine.node_id": "n1"}) as engine:
        engine.join("srv-1")
        owner = engine.lookup("stream-42")
"""

from .engine import (Engine, Metrics, Options, Server, Snapshot, Status, Stream, StreamId,
                     api_version, version)
from .events import Event, EventKind, Events
from .ownership import Ownership, OwnershipEvent, OwnershipKind
from .catalogue import CatalogueEvent, CatalogueFeed, CatalogueKind, Location, StreamStatus
from .rules import PushedRules, Rules
from .servers import ServerEntry, ServerField, ServerState, ServerWeight
from .migration import MigrationBounds, ServerMigration
from .why import PlacementDecision, PlacementWhy
from .process_metrics import Health, health, metrics_text
from . import logs
from . import errors as _errors
# BerthError and one subclass per result code (berth.errors is made from berth/result_codes.h).
from .errors import *  # noqa: F401,F403

__version__ = version()
logs.start()

__all__ = [
    "Engine", "Options", "Snapshot", "Status", "Metrics", "Server", "Stream", "StreamId", "version",
    "api_version",
    "Event", "EventKind", "Events",
    "Ownership", "OwnershipEvent", "OwnershipKind",
    "CatalogueEvent", "CatalogueFeed", "CatalogueKind", "Location", "StreamStatus",
    "PushedRules", "Rules",
    "ServerEntry", "ServerField", "ServerState", "ServerWeight",
    "MigrationBounds", "ServerMigration", "PlacementDecision", "PlacementWhy", "logs",
    "Health", "health", "metrics_text",
]
__all__ += [name for name in _errors.__all__ if name != "error_for"]
