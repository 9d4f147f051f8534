"""`show`: a snapshot as a table, or as JSON."""

from __future__ import annotations

import json
from typing import Any

from .cluster import ClusterView


def as_dict(view: ClusterView) -> dict[str, Any]:
    return {
        "version": view.version,
        "epoch": view.epoch,
        "leader": view.leader,
        "policy": view.policy,
        "streams": view.stream_count,
        "total_load": view.total_load,
        "total_capacity": view.total_capacity,
        "lower_bound": view.lower_bound,
        "max_load_per_capacity": view.max_load_per_capacity,
        "max_over_lb": view.max_over_lb,
        "servers": [{"id": s.id, "capacity": s.capacity, "load": s.load, "streams": s.streams,
                     "load_per_capacity": s.load_per_capacity} for s in view.servers],
    }


def as_json(view: ClusterView) -> str:
    return json.dumps(as_dict(view), indent=2, ensure_ascii=False)


def as_table(view: ClusterView) -> str:
    lb = view.lower_bound
    rows = [("server", "capacity", "load", "load/cap", "vs LB", "streams", "share")]
    for s in sorted(view.servers, key=lambda s: s.id):
        share = s.streams / view.stream_count if view.stream_count else 0.0
        rows.append((s.id, f"{s.capacity:g}", f"{s.load:.3f}", f"{s.load_per_capacity:.3f}",
                     f"{s.load_per_capacity / lb:.3f}" if lb > 0 else "-", str(s.streams), f"{share:.1%}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"version {view.version}  epoch {view.epoch}  leader {view.leader}  policy {view.policy}"]
    for n, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append(f"{len(view.servers)} servers, {view.stream_count} streams, total load {view.total_load:.3f}, "
                 f"capacity {view.total_capacity:g}")
    lines.append(f"max load/capacity {view.max_load_per_capacity:.3f}, lower bound {lb:.3f}, "
                 f"max/LB {view.max_over_lb:.3f}")
    return "\n".join(lines)
