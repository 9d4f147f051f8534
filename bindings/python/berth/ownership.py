"""Ownership: when a server may serve a stream, with the promise that no two servers hold one
stream at once (docs/ownership.md). A feed the host polls (no callback ever runs on a library
thread):

    with engine.ownership("proxy-1") as feed:
        for event in feed:                 # blocks; ends when the engine closes or the server leaves
            if event.kind is berth.OwnershipKind.ACQUIRE:
                open_writer(event.stream, event.token)
            elif event.kind is berth.OwnershipKind.RELEASE:
                close_writer(event.stream)
                feed.release(event.stream, event.token)   # only now may another server take it
            else:                          # REVOKED: the claim already ended at event.ended_ns
                close_writer(event.stream)

``feed.holds(stream)`` (the token, or None) is lock-free: check it before each write.
"""

from __future__ import annotations

import enum
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from . import _berth_swig as _c
from . import berth_swig as _swig
from ._poll import NativeHandle, poll_sliced, until_closed

if TYPE_CHECKING:
    from .engine import Engine, StreamId

_token = _c.berth_ownership_token


class OwnershipKind(enum.IntEnum):
    ACQUIRE = _c.BERTH_OWNERSHIP_ACQUIRE
    """The server now holds ``stream`` under ``token``: start serving it."""
    RELEASE = _c.BERTH_OWNERSHIP_RELEASE
    """The leader moves ``stream`` elsewhere: stop, then :meth:`Ownership.release` it."""
    REVOKED = _c.BERTH_OWNERSHIP_REVOKED
    """The claim ended at ``ended_ns`` (``time.monotonic_ns()``'s clock): stop at once."""


@dataclass(frozen=True)
class OwnershipEvent:
    kind: OwnershipKind
    stream: str      # the id's UTF-8 decoded (undecodable bytes as surrogate escapes)
    token: int       # the grant's fencing token: strictly increases per stream across grants
    version: int     # the snapshot version that granted or asked for a release; 0 if none
    ended_ns: int    # REVOKED: CLOCK_MONOTONIC ns at which the claim ended; else 0


def _id(stream: "StreamId") -> "StreamId":
    # A str decoded with surrogate escapes goes back to its exact bytes.
    if isinstance(stream, str) and not stream.isascii():
        return stream.encode("utf-8", "surrogateescape")
    return stream


class Ownership:
    """The ownership feed of one server joined through an engine; a context manager and an
    iterator (iterating yields events until the engine closes, the server leaves, or the feed is
    closed). Closing the feed changes nothing the server holds. Keeps its engine reachable.
    Calls may come from several threads, and all but :meth:`holds` may run concurrently with
    :meth:`close` (a poll ends; the feed is freed once they returned). Threads polling one feed
    take turns, and each event goes to one of them.
    """

    _feed = None

    def __init__(self, engine: "Engine", server: str) -> None:
        self._engine = engine
        self.server = server
        # The native feed refuses a second poll while one runs (the event's bytes live in the feed
        # until its next poll); Python pollers wait for their turn instead, and copy the bytes in it.
        self._polling = threading.Lock()
        self._feed = NativeHandle(_c.berth_ownership_open(engine._h(), server), _c.berth_ownership_close,
                                  f"the ownership feed of {server!r} is closed")

    def poll(self, timeout: float | None = 0.0) -> OwnershipEvent | None:
        """The next event, waiting up to ``timeout`` seconds (None: for ever); None if none came.
        Raises :class:`~berth.StateError` once the engine is closed or the server left (after
        their revocations were delivered). Time spent waiting for another thread's poll of this
        feed to end counts."""
        start = time.monotonic()
        if not self._polling.acquire(timeout=-1 if timeout is None else min(max(0.0, timeout), threading.TIMEOUT_MAX)):
            return None
        try:
            left = None if timeout is None else timeout - (time.monotonic() - start)
            return self._poll_turn(left)
        finally:
            self._polling.release()

    def _poll_turn(self, timeout: float | None) -> OwnershipEvent | None:
        event = _swig.berth_ownership_event()

        def once(handle, ms: int) -> OwnershipEvent | None:
            _c.berth_ownership_poll(handle, ms, event)
            if event.kind == _c.BERTH_OWNERSHIP_NONE:
                return None
            return OwnershipEvent(OwnershipKind(event.kind),
                                  event.stream_bytes().decode("utf-8", "surrogateescape"),
                                  event.token, event.version, event.ended_ns)

        return poll_sliced(once, timeout, self._feed)

    def __iter__(self) -> Iterator[OwnershipEvent]:
        """Every event as it comes, until the engine closes, the server leaves or the feed is
        closed."""
        return until_closed(self.poll)

    def release(self, stream: "StreamId", token: int) -> None:
        """The host stopped serving ``stream``: from the return on, :meth:`holds` is None for it and
        the leader hears of it. StateError if the server does not hold it under ``token``."""
        raw = _id(stream)
        self._feed.use(lambda handle: _c.berth_ownership_release_stream(handle, raw, int(token)))

    def holds(self, stream: "StreamId") -> int | None:
        """The token under which the server holds ``stream`` now, or None (lock-free)."""
        token = _token(self._feed.get(), _id(stream))
        return None if token < 0 else token

    def held(self) -> dict[str, int]:
        """What the server holds now: stream -> token, by stream id (a copy)."""
        listing = self._feed.use(_c.berth_held_new)
        try:
            out: dict[str, int] = {}
            for i in range(_c.berth_held_count(listing)):
                stream, token = _c.berth_held_stream(listing, i)
                out[stream] = token
            return out
        finally:
            _c.berth_held_free(listing)

    def close(self) -> None:
        """Frees the feed; what the server holds is unchanged. A poll running on another thread
        ends first, with StateError, within one native wait (0.2 s)."""
        if self._feed is not None:
            self._feed.close()

    @property
    def closed(self) -> bool:
        """True from the moment :meth:`close` begins."""
        return self._feed is None or self._feed.closed

    def __enter__(self) -> "Ownership":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()
