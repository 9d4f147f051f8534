"""Reading the current snapshot of a cluster as an observer, and summarising its balance."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from typing import Sequence

from ..engine import Engine, Options, Snapshot


@dataclass(frozen=True)
class ServerRow:
    id: str
    capacity: float
    load: float
    streams: int

    @property
    def load_per_capacity(self) -> float:
        return self.load / self.capacity if self.capacity > 0 else 0.0


@dataclass(frozen=True)
class StreamRow:
    id: str
    owner: str | None
    load: float


@dataclass(frozen=True)
class ClusterView:
    """One snapshot, copied out of the engine so it outlives it."""

    version: int
    epoch: int
    leader: str
    policy: str
    servers: list[ServerRow]
    streams: list[StreamRow] = field(repr=False)

    @property
    def total_load(self) -> float:
        return sum(s.load for s in self.servers)

    @property
    def total_capacity(self) -> float:
        return sum(s.capacity for s in self.servers)

    @property
    def stream_count(self) -> int:
        return len(self.streams)

    @property
    def lower_bound(self) -> float:
        """LB = max(total load / total capacity, largest stream / largest capacity) (docs/design.md)."""
        if not self.servers:
            return 0.0
        largest_stream = max((s.load for s in self.streams if s.load == s.load), default=0.0)
        largest_capacity = max(s.capacity for s in self.servers)
        spread = self.total_load / self.total_capacity if self.total_capacity > 0 else 0.0
        return max(spread, largest_stream / largest_capacity if largest_capacity > 0 else 0.0)

    @property
    def max_load_per_capacity(self) -> float:
        return max((s.load_per_capacity for s in self.servers), default=0.0)

    @property
    def max_over_lb(self) -> float:
        """The most loaded server per unit of capacity over the lower bound; 1.0 is perfect."""
        lb = self.lower_bound
        return self.max_load_per_capacity / lb if lb > 0 else 1.0

    def owners(self) -> dict[str, str | None]:
        return {s.id: s.owner for s in self.streams}


def view_of(snapshot: Snapshot) -> ClusterView:
    servers = [ServerRow(s.id, s.capacity, s.load, s.streams) for s in snapshot.servers()]
    streams = [StreamRow(s.id, s.owner, s.load) for s in snapshot.streams()]
    return ClusterView(snapshot.version, snapshot.epoch, snapshot.leader, snapshot.policy, servers, streams)


def observer_options(config: str | None, settings: Sequence[str]) -> Options:
    """The user's configuration, then overrides that make this engine a pure observer."""
    options = Options()
    try:
        if config:
            options.load_file(config)
        for item in settings:
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"--set {item!r}: expected section.key=value")
            options.set(key.strip(), value)
        # Never the configured node id (that is a real node's name), never a candidate.
        options.set("engine.node_id", f"berth-tools-{socket.gethostname()}-{os.getpid()}")
        options.set("engine.campaign", False)
        return options
    except BaseException:
        options.close()
        raise


def observe(config: str | None = None, settings: Sequence[str] = (), timeout: float = 10.0) -> ClusterView:
    """The snapshot the cluster serves now (waits up to ``timeout`` s for the first one)."""
    with observer_options(config, settings) as options, Engine(options) as engine:
        engine.wait_version(1, timeout)
        with engine.snapshot() as snapshot:
            return view_of(snapshot)
