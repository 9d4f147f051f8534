"""Change notifications: a queue the host polls (no callback ever runs on a library thread).

    with engine.events() as events:
        for event in events:              # blocks; ends when the engine is closed
            if event.kind is berth.EventKind.VERSION:
                print(f"version {event.old_version} -> {event.version}")

The queue coalesces: a slow consumer sees each kind of change once, with the newest state
(versions 3 -> 7 in one event), so it never holds a backlog. It starts from the engine's state
when it was opened.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from . import _berth_swig as _c
from . import berth_swig as _swig
from ._poll import NativeHandle, poll_sliced, until_closed

if TYPE_CHECKING:
    from .engine import Engine


class EventKind(enum.IntEnum):
    VERSION = _c.BERTH_EVENT_VERSION
    """The served snapshot changed: ``old_version`` -> ``version``."""
    LEADERSHIP = _c.BERTH_EVENT_LEADERSHIP
    """Leadership gained or lost (``is_leader``), or the epoch moved: ``old_epoch`` -> ``epoch``."""
    DEGRADED = _c.BERTH_EVENT_DEGRADED
    """Degraded mode entered (``degraded``) or left."""


@dataclass(frozen=True)
class Event:
    kind: EventKind
    old_version: int
    version: int
    old_epoch: int
    epoch: int
    is_leader: bool
    degraded: bool


class Events:
    """An event queue of one engine; a context manager and an iterator.

    Keeps its engine reachable. Closing the engine makes a waiting :meth:`poll` (and every later
    one) raise :class:`~berth.StateError`, and ends iteration. Polls may run on several threads at
    once, and while another thread closes the queue (they end with StateError first).
    """

    _queue = None

    def __init__(self, engine: "Engine") -> None:
        self._engine = engine
        self._queue = NativeHandle(_c.berth_events_open(engine._h()), _c.berth_events_close,
                                   "the event queue is closed")

    def poll(self, timeout: float | None = 0.0) -> Event | None:
        """The next change, waiting up to ``timeout`` seconds (None: for ever); None if none came."""
        event = _swig.berth_event()

        def once(handle, ms: int) -> Event | None:
            _c.berth_events_poll(handle, ms, event)
            if event.kind == _c.BERTH_EVENT_NONE:
                return None
            return Event(EventKind(event.kind), event.old_version, event.version, event.old_epoch,
                         event.epoch, bool(event.is_leader), bool(event.degraded))

        return poll_sliced(once, timeout, self._queue)

    def __iter__(self) -> Iterator[Event]:
        """Every change as it comes, until the engine (or this queue) is closed."""
        return until_closed(self.poll)

    def close(self) -> None:
        """Frees the queue. A poll running on another thread ends first, with StateError, within
        one native wait (0.2 s)."""
        if self._queue is not None:
            self._queue.close()

    @property
    def closed(self) -> bool:
        """True from the moment :meth:`close` begins."""
        return self._queue is None or self._queue.closed

    def __enter__(self) -> "Events":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()
