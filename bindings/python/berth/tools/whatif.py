"""What-if: a change (servers added or removed, another policy) played on an in-process copy of a
snapshot, and what it would move.

The copy is a private ``memory`` cluster: the snapshot's servers (same capacities) and streams
(same loads, through the ``reported`` appraiser) are published once with the snapshot's policy
(the *before*), then the change is applied and the leader refreshes (the *after*). Moves are
counted between the two, so they show how the policy itself reacts, stickiness included. The
before is placed afresh, so it can differ from the live assignment; ``baseline_differs`` says by
how many streams.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from typing import Mapping

from ..engine import Engine
from .cluster import ClusterView, view_of

_runs = itertools.count()


@dataclass(frozen=True)
class Change:
    add: list[tuple[str, float]] = field(default_factory=list)  # (server id, capacity)
    remove: list[str] = field(default_factory=list)
    policy: str | None = None  # None: keep the snapshot's
    policy_settings: Mapping[str, str] = field(default_factory=dict)  # "band" -> "0.05", ...

    def describe(self, current_policy: str) -> str:
        parts = [f"+{sid} (capacity {cap:g})" for sid, cap in self.add] + [f"-{sid}" for sid in self.remove]
        if self.policy and self.policy != current_policy:
            parts.append(f"policy {current_policy} -> {self.policy}")
        parts += [f"policy.{k}={v}" for k, v in self.policy_settings.items()]
        return ", ".join(parts) or "nothing (a fresh placement of the same snapshot)"


@dataclass(frozen=True)
class Move:
    stream: str
    source: str | None
    target: str | None
    load: float


@dataclass(frozen=True)
class WhatIfResult:
    live: ClusterView
    before: ClusterView
    after: ClusterView
    moves: list[Move]
    baseline_differs: int  # streams whose simulated "before" owner is not their live owner

    @property
    def moved_load(self) -> float:
        return sum(m.load for m in self.moves if m.load == m.load)

    @property
    def moved_load_fraction(self) -> float:
        total = self.before.total_load
        return self.moved_load / total if total > 0 else 0.0

    @property
    def moved_stream_fraction(self) -> float:
        return len(self.moves) / self.before.stream_count if self.before.stream_count else 0.0


def _settings(cluster: str, node: str, policy: str, policy_settings: Mapping[str, str]) -> dict[str, str]:
    s = {
        "backend.name": "memory",
        "backend.cluster": cluster,
        "engine.node_id": node,
        "engine.refresh_on_change": "false",
        "engine.refresh_interval": "3600s",  # only the refreshes asked for below
        "appraiser.name": "reported",
        "policy.name": policy,
    }
    s.update({f"policy.{k}": str(v) for k, v in policy_settings.items()})
    return s


def _refresh(engine: Engine) -> ClusterView:
    engine.refresh()
    with engine.snapshot() as snapshot:
        return view_of(snapshot)


def _settle(engine: Engine, rounds: int = 20) -> ClusterView:
    """Refreshes until nothing moves. The leader may have refreshed on its own while the servers
    were joining, and a policy with a move budget (sticky) then needs more than one refresh to
    reach its balance; a *before* that is still converging would show those moves as the change's."""
    view = _refresh(engine)
    for _ in range(rounds):
        again = _refresh(engine)
        if again.owners() == view.owners():
            return again
        view = again
    return view


def what_if(live: ClusterView, change: Change, timeout: float = 10.0) -> WhatIfResult:
    """Plays ``change`` on a private copy of ``live`` and returns what would move."""
    cluster = f"what-if-{os.getpid()}-{next(_runs)}"
    policy = change.policy or live.policy
    # The starting point uses the snapshot's own policy; its settings change only if asked to
    # for that same policy.
    base_settings = change.policy_settings if policy == live.policy else {}
    with Engine(_settings(cluster, "what-if-before", live.policy, base_settings)) as first:
        if not first.wait_leader(timeout):
            raise RuntimeError("the simulation's engine did not become leader")
        for server in live.servers:
            first.join(server.id, server.capacity)
        for stream in live.streams:
            first.add_stream(stream.id, "", stream.load)
        first.flush()
        before = _settle(first)
        live_owners = live.owners()
        baseline_differs = sum(1 for s in before.streams if live_owners.get(s.id) != s.owner)

        second: Engine | None = None
        try:
            leader = first
            if policy != live.policy:
                # Another policy takes over the same cluster, as it would on a rolling restart.
                second = Engine(_settings(cluster, "what-if-after", policy, change.policy_settings))
                first.resign()
                if not second.wait_leader(timeout):
                    raise RuntimeError("the simulation's second engine did not become leader")
                leader = second
            for sid, capacity in change.add:
                first.join(sid, capacity)
            for sid in change.remove:
                first.leave(sid)
            after = _refresh(leader)
        finally:
            if second is not None:
                second.close()

    before_owner = before.owners()
    moves = [Move(s.id, before_owner.get(s.id), s.owner, s.load)
             for s in after.streams if before_owner.get(s.id) != s.owner]
    return WhatIfResult(live, before, after, moves, baseline_differs)
