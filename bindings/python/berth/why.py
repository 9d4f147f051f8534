"""Why a stream is where it is (docs/catalogue.md, "Why a stream is there"):

    why = engine.locate_why("queue-1")
    print(why.decision, why.detail, why.rule, why.allowed)

Computed when asked from the served version; nothing is stored per stream.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from . import _berth_swig as _c
from . import berth_swig as _swig
from ._checks import StreamId, stream_id


class PlacementDecision(enum.IntEnum):
    """The policy's decision as far as the version tells it (``BERTH_WHY_*``)."""
    UNKNOWN = _c.BERTH_WHY_UNKNOWN
    """Not in the assignment: where a lookup of it would go."""
    DELETED = _c.BERTH_WHY_DELETED
    """Deleting: its locations are to purge."""
    PLACED = _c.BERTH_WHY_PLACED
    """Where a new stream of that id is placed now."""
    KEPT = _c.BERTH_WHY_KEPT
    """Elsewhere: kept where it was (sticky), or balanced there."""
    PINNED = _c.BERTH_WHY_PINNED
    """The rules allow one server only."""
    MIGRATING = _c.BERTH_WHY_MIGRATING
    """An operator's migration runs, or finished within the migration interval."""
    MIGRATING_OUT = _c.BERTH_WHY_MIGRATING_OUT
    """Its server is marked for data migration."""
    QUEUED = _c.BERTH_WHY_QUEUED
    """A migration waits for a concurrency bound."""
    MOVED_OFF_SEALED = _c.BERTH_WHY_MOVED_OFF_SEALED
    """Moved off a read-only server, which still serves its reads."""
    HANDING_OFF = _c.BERTH_WHY_HANDING_OFF
    """Moved; its last holder hands it off."""


@dataclass(frozen=True)
class PlacementWhy:
    """Why ``stream`` is where the served snapshot puts it (``berth_placement_why``)."""
    stream: str
    decision: PlacementDecision
    version: int                 # of the snapshot that answered
    detail: str                  # one sentence naming the servers involved
    rules_evaluated: bool        # the rules were evaluated for this stream alone
    rule: str | None             # "script:line" of the rule that set its servers; None: none did
    allowed: tuple[str, ...]     # empty: the rules leave every server
    preferred: tuple[str, ...]
    rules_note: str | None       # why the rules were not evaluated, or their first problem


class EngineWhy:
    """Locate's why (mixed into :class:`berth.Engine`)."""

    def _h(self):  # pragma: no cover - provided by Engine
        raise NotImplementedError

    def locate_why(self, stream: StreamId) -> PlacementWhy:
        """Why the served snapshot puts ``stream`` where it does (UnavailableError before the first
        snapshot). The rules are evaluated for this stream alone, with the GIL held."""
        raw = stream_id(stream)
        shown = stream if isinstance(stream, str) else stream.decode("utf-8", "surrogateescape")
        out = _swig.berth_placement_why()
        _c.berth_locate_why(self._h(), raw, out)
        # The strings live until the next berth_locate_why on this thread: copied now, with the
        # GIL held.
        return PlacementWhy(shown, PlacementDecision(out.decision), out.version, out.detail or "",
                            bool(out.rules_evaluated), out.rule or None,
                            tuple(out.allowed_server(i) for i in range(out.allowed_count)),
                            tuple(out.preferred_server(i) for i in range(out.preferred_count)),
                            out.rules_note or None)
