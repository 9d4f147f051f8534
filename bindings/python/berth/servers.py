"""Servers an operator manages (docs/catalogue.md, "Servers an operator manages") and their dynamic
weights ("Dynamic weights"):

    engine.set_server("store-7", register=True, capacity=2.0, labels={"zone": "a"})
    engine.set_server("store-7", state=berth.ServerState.DRAINING)   # only the state changes
    engine.report_signal("store-7", "cpu_load", 0.8)
    with engine.snapshot() as snap:
        for entry in snap.server_entries():
            print(entry.id, entry.state, entry.capacity, entry.factor, entry.signals)

A change goes to the leader and shows from its next refresh (a drain or a seal at once): wait for
a version that shows it.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Mapping, Optional

from . import _berth_swig as _c
from . import berth_swig as _swig
from ._checks import number, server_id
from .errors import InvalidArgumentError


class ServerState(enum.IntEnum):
    UP = _c.BERTH_SERVER_UP
    """Takes new streams and keeps its own."""
    DRAINING = _c.BERTH_SERVER_DRAINING
    """Takes nothing new; its streams are moved away."""
    READ_ONLY = _c.BERTH_SERVER_READ_ONLY
    """Takes nothing new; keeps what it has (a read location, no writes)."""


class ServerField(enum.IntFlag):
    """The parts of a server an operator set (``BERTH_SERVER_SET_*``)."""
    REGISTER = _c.BERTH_SERVER_SET_REGISTER
    CAPACITY = _c.BERTH_SERVER_SET_CAPACITY
    STATE = _c.BERTH_SERVER_SET_STATE
    LABELS = _c.BERTH_SERVER_SET_LABELS
    MIGRATE = _c.BERTH_SERVER_SET_MIGRATE
    """Marked for data migration (set and cleared with :meth:`Engine.migrate_server` only)."""


Labels = Mapping[str, Optional[str]]


def labels_text(labels: "str | Labels") -> str:
    """``{"zone": "a", "ssd": None}`` -> "zone=a,ssd"; a str passes as is.

    A value of None or "" is a bare tag (the C API keeps a tag as an empty value, and refuses
    "key="). A key holding ',' or '=', an empty key, or a value holding ',' would read back as
    other labels once joined: InvalidArgumentError names that label. The C API checks the rest
    (allowed characters, lengths)."""
    if isinstance(labels, str):
        return labels
    if not isinstance(labels, Mapping):
        raise TypeError(f"labels must be a str or a mapping, not {type(labels).__name__}")
    parts = []
    for key, value in labels.items():
        if not isinstance(key, str) or not (value is None or isinstance(value, str)):
            raise TypeError(f"label {key!r}: keys and values must be str (a value may be None)")
        if not key:
            raise InvalidArgumentError(f"label {key!r}={value!r}: empty key")
        if "," in key or "=" in key:
            raise InvalidArgumentError(f"label {key!r}: ',' and '=' are not allowed in a key")
        if value is not None and "," in value:
            raise InvalidArgumentError(f"label {key!r}={value!r}: ',' is not allowed in a value")
        parts.append(key if not value else f"{key}={value}")
    return ",".join(parts)


def parse_labels(text: str | None) -> dict[str, str | None] | None:
    """"zone=a,ssd" -> ``{"zone": "a", "ssd": None}`` (a bare tag is None); None stays None."""
    if text is None:
        return None
    out: dict[str, str | None] = {}
    for part in filter(None, text.split(",")):
        key, eq, value = part.partition("=")
        out[key] = value if eq else None
    return out


@dataclass(frozen=True)
class ServerEntry:
    """A server as a snapshot tells it. For :meth:`Snapshot.operator_servers` the capacity, state
    and labels are what operators set (None: not set) and the weight fields are None; for
    :meth:`Snapshot.server_entries` they are what placement uses."""
    id: str
    fields: ServerField           # the parts operators set (empty: none)
    member: bool                  # a host joined it
    registered: bool              # an operator registered it (it persists without a member)
    capacity: float | None        # server_entries: the member's, or the operator's in its place
    state: ServerState | None
    labels: dict[str, str | None] | None
    streams: int                  # streams it owns in this version
    load: float
    configured_capacity: float | None = None  # server_entries: before the weigher's factor
    factor: float | None = None               # server_entries: the weigher's effective factor
    signals: dict[str, float] = field(default_factory=dict)  # server_entries: smoothed, by name

    @property
    def migrating_out(self) -> bool:
        """Marked for data migration: its streams move out (:meth:`Engine.migrate_server`)."""
        return ServerField.MIGRATE in self.fields


@dataclass(frozen=True)
class ServerWeight:
    configured_capacity: float
    factor: float
    signals: dict[str, float]


def _entry(out, weight: ServerWeight | None = None) -> ServerEntry:
    capacity = None if math.isnan(out.capacity) else out.capacity
    state = None if out.state < 0 else ServerState(out.state)
    return ServerEntry(
        out.id, ServerField(out.fields), bool(out.origin & _c.BERTH_SERVER_ORIGIN_MEMBER),
        bool(out.origin & _c.BERTH_SERVER_ORIGIN_REGISTERED), capacity, state,
        parse_labels(out.labels_text()), out.streams, out.load,
        weight.configured_capacity if weight else None, weight.factor if weight else None,
        dict(weight.signals) if weight else {})


class SnapshotServers:
    """The operator servers and weights of a snapshot (mixed into :class:`berth.Snapshot`)."""

    def _h(self):  # pragma: no cover - provided by Snapshot
        raise NotImplementedError

    def operator_servers(self) -> list[ServerEntry]:
        """What operators set, sorted by server id."""
        h = self._h()
        entries = []
        for i in range(_c.berth_snapshot_operator_server_count(h)):
            out = _swig.berth_server_entry()
            _c.berth_snapshot_operator_server(h, i, out)
            entries.append(_entry(out))
        return entries

    def server_entries(self) -> list[ServerEntry]:
        """Every server as placement sees it (the snapshot's server order), with its weight."""
        h = self._h()
        entries = []
        for i in range(_c.berth_snapshot_server_count(h)):
            out = _swig.berth_server_entry()
            _c.berth_snapshot_server_entry(h, i, out)
            entries.append(_entry(out, self._weight(i)))
        return entries

    @property
    def weigher(self) -> str | None:
        """The weigher the weights come from; None when the snapshot has none."""
        return _c.berth_snapshot_weigher(self._h())

    def _weight(self, index: int) -> ServerWeight:
        h = self._h()
        configured, factor, count = _c.berth_snapshot_server_weight(h, index)
        signals = {}
        for k in range(count):
            name, value = _c.berth_snapshot_server_signal(h, index, k)
            signals[name] = value
        return ServerWeight(configured, factor, signals)

    def weights(self) -> dict[str, ServerWeight]:
        """Server id -> configured capacity, effective factor and smoothed signals."""
        h = self._h()
        out = {}
        for i in range(_c.berth_snapshot_server_count(h)):
            sid = _c.berth_snapshot_server(h, i)[0]
            out[sid] = self._weight(i)
        return out


class EngineServers:
    """Operator changes and signals (mixed into :class:`berth.Engine`)."""

    def _h(self):  # pragma: no cover - provided by Engine
        raise NotImplementedError

    def set_server(self, server: str, *, register: bool = False, capacity: float | None = None,
                   state: ServerState | None = None, labels: "str | Labels | None" = None) -> None:
        """Sets the given parts of ``server`` (the others stay as they are): ``register=True``
        keeps it without a member, ``capacity`` (its weight, > 0), ``state``, ``labels``
        ("zone=a,ssd" or ``{"zone": "a", "ssd": None}``; "" or {} clears them). At least one."""
        server = server_id(server)
        fields = 0
        cap = 0.0
        st = 0
        text = None
        if not isinstance(register, bool):
            raise TypeError(f"register must be a bool, not {type(register).__name__}")
        if register:
            fields |= _c.BERTH_SERVER_SET_REGISTER
        if capacity is not None:
            fields |= _c.BERTH_SERVER_SET_CAPACITY
            cap = number(capacity, "capacity")
        if state is not None:
            fields |= _c.BERTH_SERVER_SET_STATE
            if not isinstance(state, ServerState):
                if isinstance(state, bool) or not isinstance(state, int):
                    raise TypeError(f"state must be a berth.ServerState, not {type(state).__name__}")
                state = ServerState(state)  # ValueError for a number that is no state
            st = int(state)
        if labels is not None:
            fields |= _c.BERTH_SERVER_SET_LABELS
            text = labels_text(labels)
        if not fields:
            raise InvalidArgumentError(f"set_server({server!r}): nothing to set (register, capacity, state "
                                       "or labels)")
        _c.berth_bind_server_set(self._h(), server, fields, cap, st, text)

    def remove_server(self, server: str) -> None:
        """Drops everything operators set on ``server`` (NotFoundError when nothing was)."""
        _c.berth_engine_server_remove(self._h(), server_id(server))

    def report_signal(self, server: str, name: str, value: float) -> None:
        """A named number about ``server`` (``cpu_load``, ``free_capacity``, ...) for the leader's
        weigher; it counts from the leader's next refresh."""
        server = server_id(server)
        name = server_id(name, "signal name")
        _c.berth_engine_report_signal(self._h(), server, name, number(value, "signal value"))
