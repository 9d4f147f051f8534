"""What-if: a change (servers added or removed, another policy or its settings) measured against
the live assignment, and the streams it would move.

The plan is ``berth plan --json`` on the same backend: the snapshot the cluster serves is the
base, its owners are the previous owners the policy sees and its rules stay in force, so the plan
is the leader's next refresh with the change, and with no change it moves only what that refresh
would move anyway (nothing, once the policy has settled). The ``berth`` command is found through
``BERTH_CLI`` or ``PATH``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

from .cluster import ClusterView, ServerRow, StreamRow, observe


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
        return ", ".join(parts) or "nothing (the next refresh of the live assignment)"


@dataclass(frozen=True)
class Move:
    stream: str
    source: str | None
    target: str | None
    load: float


@dataclass(frozen=True)
class WhatIfResult:
    live: ClusterView
    before: ClusterView  # the live assignment
    after: ClusterView
    moves: list[Move]
    baseline_differs: int = 0  # the plan starts from the live owners: always 0

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


class PlanError(RuntimeError):
    """``berth plan`` refused the change; ``code`` is its exit code (2: a bad argument or backend)."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def berth_command() -> str:
    found = os.environ.get("BERTH_CLI") or shutil.which("berth")
    if not found:
        raise PlanError("the what-if runs `berth plan`: set BERTH_CLI to the berth command or put it on PATH", 2)
    return found


def _plan_args(change: Change, config: str | None, settings: Sequence[str], timeout: float) -> list[str]:
    args = ["plan", "--json", "--timeout", str(timeout)]
    if config:
        args += ["--config", config]
    for item in settings:
        args += ["--set", item]
    for sid, capacity in change.add:
        args += ["--add-server", f"{sid}={capacity!r}"]
    for sid in change.remove:
        args += ["--remove-server", sid]
    if change.policy:
        args += ["--policy", change.policy]
    for key, value in change.policy_settings.items():
        args += ["--set", f"policy.{key}={value}"]
    return args


def _run_plan(change: Change, config: str | None, settings: Sequence[str], timeout: float) -> dict:
    r = subprocess.run([berth_command(), *_plan_args(change, config, settings, timeout)], capture_output=True, text=True,
                       timeout=timeout + 60)
    if r.returncode != 0:
        problem = r.stderr.strip() or r.stdout.strip()
        raise PlanError(f"berth plan failed (exit {r.returncode}): {problem}", r.returncode)
    return json.loads(r.stdout)


def _after(live: ClusterView, plan: dict, policy: str) -> ClusterView:
    servers = [ServerRow(s["id"], s["capacity"], s["load"], s["streams"]) for s in plan["after"]]
    moved = {m["stream"]: m["to"] for m in plan["moves"]}
    streams = [StreamRow(s.id, moved.get(s.id, s.owner), s.load) for s in live.streams]
    return replace(live, version=live.version + 1, policy=policy, servers=servers, streams=streams)


def what_if(live: ClusterView, change: Change, timeout: float = 10.0, *, config: str | None = None,
            settings: Sequence[str] = ()) -> WhatIfResult:
    """What ``change`` would move from ``live``, the snapshot the backend that ``config`` and
    ``settings`` name serves (read again if a newer version is published meanwhile)."""
    for _ in range(3):
        plan = _run_plan(change, config, settings, timeout)
        if plan["live_version"] == live.version:
            break
        live = observe(config, settings, timeout)
    else:
        raise PlanError(f"the cluster kept publishing new versions while planning (at version {live.version})", 1)
    moves = [Move(m["stream"], m["from"], m["to"], m["load"]) for m in plan["moves"]]
    return WhatIfResult(live, live, _after(live, plan, plan["policy"]), moves)
