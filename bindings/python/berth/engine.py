"""Idiomatic classes over the generated SWIG module: Options, Engine, Snapshot.

Every handle is a context manager and is also freed when garbage-collected, so a forgotten
``close()`` leaks nothing. Errors are raised as :mod:`berth.errors` exceptions by the SWIG layer.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Mapping, Sequence, Union

from . import _berth_swig as _c
from . import berth_swig as _swig
from .catalogue import EngineCatalogue
from .errors import StateError
from .migration import EngineMigration
from .rules import EngineRules, SnapshotRules
from .servers import EngineServers, SnapshotServers, labels_text
from .why import EngineWhy

if TYPE_CHECKING:
    from .events import Events
    from .ownership import Ownership

StreamId = Union[str, bytes]
OptionValue = Union[str, int, float, bool]

# Bound once: the hot paths skip the module attribute lookups.
_lookup = _c.berth_engine_lookup
_lookup_batch = _c.berth_engine_lookup_batch


def version() -> str:
    """The library's release, e.g. "0.1.0"."""
    return _c.berth_version()


def api_version() -> tuple[int, int]:
    """The host C API version (major, minor) of the libberth this process runs."""
    packed = _c.berth_api_version()
    return packed >> 16, packed & 0xFFFF


def _option_text(value: OptionValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Options:
    """Engine configuration: TOML files or strings, then ``section.key`` overrides."""

    def __init__(self, settings: Mapping[str, OptionValue] | None = None, *,
                 file: str | None = None, toml: str | None = None, origin: str = "inline") -> None:
        self._handle = None
        self._handle = _c.berth_options_new()
        if file is not None:
            self.load_file(file)
        if toml is not None:
            self.load_string(toml, origin)
        for key, value in (settings or {}).items():
            self.set(key, value)

    def _h(self):
        if self._handle is None:
            raise StateError("the options are closed", None)
        return self._handle

    def load_file(self, path: str) -> "Options":
        _c.berth_options_load_file(self._h(), str(path))
        return self

    def load_string(self, toml: str, origin: str = "inline") -> "Options":
        _c.berth_options_load_string(self._h(), toml, origin)
        return self

    def set(self, key: str, value: OptionValue) -> "Options":
        _c.berth_options_set(self._h(), key, _option_text(value))
        return self

    def __setitem__(self, key: str, value: OptionValue) -> None:
        self.set(key, value)

    def close(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            _c.berth_options_free(handle)

    @property
    def closed(self) -> bool:
        return self._handle is None

    def __enter__(self) -> "Options":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


@dataclass(frozen=True)
class Status:
    version: int
    epoch: int
    is_leader: bool
    degraded: bool
    server_count: int
    stream_count: int


@dataclass(frozen=True)
class Metrics:
    version: int
    max_load: float
    min_load: float
    max_over_lb: float
    refresh_ms: float
    refresh_ok: int
    refresh_failed: int
    moved_streams: int
    moved_load_fraction: float
    lookups_unknown: int
    oversized_streams: int
    snapshots_rejected: int  # published versions this node could not read (it kept serving)
    intake_rejected: int
    rules_hash: int          # of the tenant rules in force; 0: none
    rules_refused: int       # changed rule files refused (the old rules stayed)
    rules_problems: int      # in the last rules evaluation
    rules_kept_owner: int    # streams kept on their owner because a rule failed or allowed nothing
    rules_violations: int    # constrained streams placed outside their allowed servers
    # Ownership: hand-offs are counted by the leader while it leads (0 on other nodes).
    handoffs_started: int    # holders asked to release a stream
    handoffs_completed: int  # ... whose stream was then granted to its new owner
    handoffs_stalled: int    # hand-offs waiting longer than ownership.stall_after, ever
    streams_releasing: int   # now: streams whose holder is asked to release them
    streams_unheld: int      # now: streams nobody holds
    unheld_stream_seconds: float  # the sum over time of streams_unheld
    leases_lost: int         # times this node's lease ended
    streams_held: int        # now: streams held by the servers joined through this node


@dataclass(frozen=True)
class Server:
    id: str
    capacity: float
    load: float
    streams: int


@dataclass(frozen=True)
class Stream:
    id: str
    owner: str | None  # server id; None if unassigned
    load: float


class Snapshot(SnapshotServers, SnapshotRules):
    """An immutable, versioned assignment. Holding it keeps it alive across later swaps."""

    def __init__(self, handle) -> None:
        self._handle = handle

    def _h(self):
        if self._handle is None:
            raise StateError("the snapshot is released", None)
        return self._handle

    @property
    def version(self) -> int:
        return _c.berth_snapshot_version(self._h())

    @property
    def epoch(self) -> int:
        return _c.berth_snapshot_epoch(self._h())

    @property
    def policy(self) -> str:
        return _c.berth_snapshot_policy(self._h())

    @property
    def leader(self) -> str:
        return _c.berth_snapshot_leader(self._h())

    @property
    def server_count(self) -> int:
        return _c.berth_snapshot_server_count(self._h())

    @property
    def stream_count(self) -> int:
        return _c.berth_snapshot_stream_count(self._h())

    def server(self, index: int) -> Server:
        sid, capacity, load, streams = _c.berth_snapshot_server(self._h(), index)
        return Server(sid, capacity, load, streams)

    def servers(self) -> list[Server]:
        return [self.server(i) for i in range(self.server_count)]

    def stream(self, index: int, _ids: Sequence[str] | None = None) -> Stream:
        sid, owner, load = _c.berth_snapshot_stream(self._h(), index)
        ids = _ids if _ids is not None else [s.id for s in self.servers()]
        return Stream(sid, ids[owner] if owner < len(ids) else None, load)

    def streams(self) -> Iterator[Stream]:
        ids = [s.id for s in self.servers()]
        for i in range(self.stream_count):
            yield self.stream(i, ids)

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            _c.berth_snapshot_release(handle)

    close = release

    def __enter__(self) -> "Snapshot":
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def __del__(self) -> None:
        self.release()

    def __repr__(self) -> str:
        if self._handle is None:
            return "<berth.Snapshot released>"
        return f"<berth.Snapshot version={self.version} servers={self.server_count} streams={self.stream_count}>"


class Engine(EngineServers, EngineCatalogue, EngineRules, EngineMigration, EngineWhy):
    """An embedded Berth engine: joins the backend (and the election) on open, leaves on close.

    ``options`` is an :class:`Options` or a mapping of ``section.key`` settings.
    """

    def __init__(self, options: Options | Mapping[str, OptionValue] | None = None) -> None:
        self._handle = None
        if options is None or isinstance(options, Options):
            opts = options
            self._handle = _c.berth_engine_open(opts._h() if opts is not None else None)
        else:
            with Options(options) as opts:
                self._handle = _c.berth_engine_open(opts._h())

    def _h(self):
        if self._handle is None:
            raise StateError("the engine is closed", None)
        return self._handle

    # -- lookups (the hot path) -----------------------------------------------------------
    def lookup(self, stream: StreamId) -> str:
        """The server that owns ``stream`` (unknown streams are placed deterministically)."""
        return _lookup(self._handle, stream)

    def lookup_batch(self, streams: Sequence[StreamId]) -> list[str]:
        """The owners of many streams at once, all from one snapshot."""
        return _lookup_batch(self._handle, streams)

    # -- membership and streams -----------------------------------------------------------
    def join(self, server_id: str, capacity: float = 1.0,
             labels: str | Mapping[str, str | None] | None = None) -> None:
        """Registers a server while this engine is open. ``labels`` (for rules): "zone=a,ssd" or
        ``{"zone": "a", "ssd": None}`` (None or "": a bare tag; see :func:`berth.servers.labels_text`).
        Joining again replaces them."""
        if labels is None:
            _c.berth_engine_join(self._h(), server_id, float(capacity))
            return
        _c.berth_engine_join_labeled(self._h(), server_id, float(capacity), labels_text(labels))

    def leave(self, server_id: str) -> None:
        _c.berth_engine_leave(self._h(), server_id)

    def add_stream(self, stream: StreamId, tenant: str = "", load: float = math.nan) -> None:
        _c.berth_engine_add_stream(self._h(), stream, tenant, float(load))

    def remove_stream(self, stream: StreamId) -> None:
        _c.berth_engine_remove_stream(self._h(), stream)

    def report_load(self, stream: StreamId, load: float) -> None:
        _c.berth_engine_report_load(self._h(), stream, float(load))

    def flush(self) -> None:
        _c.berth_engine_flush(self._h())

    # -- leadership and versions ----------------------------------------------------------
    def refresh(self) -> None:
        """Leader only: rebalance and publish now (StateError on a follower)."""
        _c.berth_engine_refresh(self._h())

    def resign(self) -> None:
        _c.berth_engine_resign(self._h())

    def wait_version(self, version: int, timeout: float = 5.0) -> None:
        """Block until a snapshot of at least ``version`` is served (TimeoutError otherwise)."""
        _c.berth_engine_wait_version(self._h(), int(version), max(0, int(timeout * 1000)))

    def wait_leader(self, timeout: float = 5.0) -> bool:
        """Poll until this engine leads; False if it does not within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            if self.status().is_leader:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.002)

    @property
    def is_leader(self) -> bool:
        return self.status().is_leader

    def status(self) -> Status:
        st = _swig.berth_engine_status()
        _c.berth_engine_status_get(self._h(), st)
        return Status(st.version, st.epoch, bool(st.is_leader), bool(st.degraded), st.server_count,
                      st.stream_count)

    def metrics(self) -> Metrics:
        m = _swig.berth_metrics()
        _c.berth_engine_metrics_get(self._h(), m)
        return Metrics(m.version, m.max_load, m.min_load, m.max_over_lb, m.refresh_ms, m.refresh_ok,
                       m.refresh_failed, m.moved_streams, m.moved_load_fraction, m.lookups_unknown,
                       m.oversized_streams, m.snapshots_rejected, m.intake_rejected, m.rules_hash,
                       m.rules_refused, m.rules_problems, m.rules_kept_owner, m.rules_violations,
                       m.handoffs_started, m.handoffs_completed, m.handoffs_stalled, m.streams_releasing,
                       m.streams_unheld, m.unheld_stream_seconds, m.leases_lost, m.streams_held)

    def metrics_text(self) -> str:
        """Prometheus text exposition of every metric."""
        return _c.berth_engine_metrics_text(self._h())

    def snapshot(self) -> Snapshot:
        """The snapshot served now (NotFoundError before the first)."""
        return Snapshot(_c.berth_engine_snapshot(self._h()))

    def events(self) -> "Events":
        """A new queue of change events (version, leadership, degraded mode) to poll."""
        from .events import Events
        return Events(self)

    # -- ownership ------------------------------------------------------------------------
    def ownership(self, server_id: str) -> "Ownership":
        """The ownership feed of ``server_id``, a server joined through this engine (NotFoundError
        otherwise): acquire / release / revoked events, ``release``, ``holds``, ``held``."""
        from .ownership import Ownership
        return Ownership(self, server_id)

    def drain(self, server_id: str, draining: bool = True) -> None:
        """Marks ``server_id`` (joined through this engine) draining: its streams are handed off
        and it takes no new ones; ``False`` makes it take streams again."""
        _c.berth_engine_drain(self._h(), server_id, 1 if draining else 0)

    # -- lifetime -------------------------------------------------------------------------
    def close(self) -> None:
        """Leave membership and the election and free everything. Idempotent."""
        handle, self._handle = self._handle, None
        if handle is not None:
            _c.berth_engine_close(handle)

    @property
    def closed(self) -> bool:
        return self._handle is None

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()
