"""`chart`: a PNG bar chart of per-server load per unit of capacity, with the lower bound."""

from __future__ import annotations

from pathlib import Path

from .cluster import ClusterView


def write_chart(view: ClusterView, path: str | Path, title: str | None = None) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no display: tools run on servers and in CI
    import matplotlib.pyplot as plt

    servers = sorted(view.servers, key=lambda s: s.id)
    names = [s.id for s in servers]
    loads = [s.load_per_capacity for s in servers]
    width = min(40.0, max(6.0, 0.35 * len(servers)))
    fig, ax = plt.subplots(figsize=(width, 4.5), dpi=100)
    try:
        ax.bar(range(len(servers)), loads, color="#4c72b0", label="load / capacity")
        lb = view.lower_bound
        if lb > 0:
            ax.axhline(lb, color="#c44e52", linestyle="--", label=f"lower bound {lb:.3g}")
        ax.set_xticks(range(len(servers)))
        ax.set_xticklabels(names, rotation=60 if len(servers) > 8 else 0, ha="right" if len(servers) > 8 else "center",
                           fontsize=8)
        ax.set_ylim(0, 1.2 * max(loads + [lb, 1e-9]))  # head room for the legend above the bars
        ax.set_ylabel("load per unit of capacity")
        ax.set_title(title or f"version {view.version} ({view.policy}): {len(servers)} servers, "
                              f"{view.stream_count} streams, max/LB {view.max_over_lb:.3f}")
        ax.legend(loc="upper right")
        fig.tight_layout()
        out = Path(path)
        fig.savefig(out, format="png")
        return out
    finally:
        plt.close(fig)
