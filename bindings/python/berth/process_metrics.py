"""The metrics of every engine open in this process, as Berth's HTTP endpoint serves them
(docs/metrics.md): ``metrics_text()`` is what ``GET /metrics`` returns, ``health()`` what
``GET /healthz`` returns. Serve them with any HTTP server (``http.server``, for one): the wheel
carries no HTTP library."""
from __future__ import annotations

import json
from dataclasses import dataclass

from . import _berth_swig as _c


@dataclass(frozen=True)
class Health:
    """The answer of /healthz: ``status_code`` 200 when every open engine reaches its backend,
    503 when one is degraded or none is open; ``body`` the JSON, ``{"status", "engines": [...]}``."""

    status_code: int
    body: str

    @property
    def status(self) -> str:
        """"ok", "degraded" or "no engine"."""
        return json.loads(self.body)["status"]

    @property
    def engines(self) -> list:
        """One dict per open engine: node, leader, degraded, version, epoch."""
        return json.loads(self.body)["engines"]


def metrics_text() -> str:
    """One Prometheus text exposition of every open engine, each engine's samples labelled node."""
    return _c.berth_metrics_text_all()


def health() -> Health:
    """The health of every open engine, as /healthz reports it."""
    text, status_code = _c.berth_metrics_health_all()
    return Health(int(status_code), text)
