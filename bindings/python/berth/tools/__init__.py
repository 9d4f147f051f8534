"""Operator tools: ``python3 -m berth.tools {show,chart,what-if} [--config FILE] [--set k=v ...]``.

- ``show``: the current snapshot of any backend as a table (servers, loads, stream counts,
  the most loaded server over the lower bound);
- ``chart``: a PNG of per-server load (matplotlib, Agg backend);
- ``what-if``: adds or removes servers, or switches the policy, and prints the streams that
  would move from the live assignment (``berth plan`` on the same backend).

Each reads the cluster as a non-campaigning observer that joins nothing, so running a tool never
changes the cluster it looks at.
"""

from .cluster import ClusterView, ServerRow, observe
from .whatif import Change, WhatIfResult, what_if

__all__ = ["ClusterView", "ServerRow", "observe", "Change", "WhatIfResult", "what_if"]
