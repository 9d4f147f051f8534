"""The catalogue (docs/catalogue.md): where each stream is written and read, migrations where
deletion wins, and the per-server feed of the work a storage host must do.

    at = engine.locate("queue-1")            # owner, read locations, status, token, ...
    engine.migrate("queue-1", to="store-2")  # or to=None: the policy chooses
    with engine.catalogue_feed("store-2") as feed:
        for event in feed:                   # ends when the engine closes or the feed is closed
            if event.kind is berth.CatalogueKind.COPY_IN:
                copy(event.stream, event.source)
                engine.migration_done(event.stream, "store-2", ok=True)
            else:                            # PURGE
                drop(event.stream)
                engine.stream_purged(event.stream, "store-2")
"""

from __future__ import annotations

import enum
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from . import _berth_swig as _c
from . import berth_swig as _swig
from ._checks import StreamId, server_id, stream_id
from ._poll import NativeHandle, poll_sliced, until_closed

if TYPE_CHECKING:
    from .engine import Engine


class StreamStatus(enum.IntEnum):
    ACTIVE = _c.BERTH_STREAM_ACTIVE
    MIGRATING = _c.BERTH_STREAM_MIGRATING
    """Written at the destination, read from both."""
    DELETING = _c.BERTH_STREAM_DELETING
    """Deleted; its read locations are still to purge."""


class CatalogueKind(enum.IntEnum):
    COPY_IN = _c.BERTH_CATALOGUE_COPY_IN
    """Copy ``stream`` from ``source``, then :meth:`Engine.migration_done`."""
    PURGE = _c.BERTH_CATALOGUE_PURGE
    """Delete the stream's data, then :meth:`Engine.stream_purged`."""


@dataclass(frozen=True)
class Location:
    """Everything the served snapshot says of a stream (``berth_location``)."""
    stream: str
    status: StreamStatus
    version: int                    # of the snapshot that answered
    owner: str | None               # write location; None while deleting or with no server to take it
    holder: str | None              # who holds it now (docs/ownership.md)
    token: int                      # the holder's fencing token; 0 without a holder
    tenant: str                     # "" for an unknown stream
    load: float
    read_locations: tuple[str, ...]  # the owner first
    known: bool                     # in the assignment (False: unknown, or deleting)
    migration_source: str | None
    migration_destination: str | None
    migration_queued: bool          # a migration waits for a concurrency bound
    queued_destination: str | None  # of the queued migration ("": the policy chooses); None if none


@dataclass(frozen=True)
class CatalogueEvent:
    kind: CatalogueKind
    stream: str           # the id's UTF-8 decoded (undecodable bytes as surrogate escapes)
    source: str | None    # COPY_IN: the server to copy from
    version: int          # the version that asked for it
    attempt: int          # COPY_IN: failed copies before this one


def _locate(handle, stream: StreamId, shown: str) -> Location:
    at = _swig.berth_location()
    _c.berth_locate(handle, stream, at)
    # The tenant and read locations live until the next locate on this thread: copied now, with
    # the GIL held.
    return Location(shown, StreamStatus(at.status), at.version, at.owner, at.holder, at.token, at.tenant or "",
                    at.load, tuple(at.read_location(i) for i in range(at.read_location_count)),
                    bool(at.known), at.migration_source, at.migration_destination, bool(at.migration_queued),
                    at.queued_destination if at.migration_queued else None)


class CatalogueFeed:
    """The catalogue feed of one server (any server id: a storage node need not be joined here);
    a context manager and an iterator (iterating yields events until the engine closes or the
    feed is closed). Keeps its engine reachable. Threads polling one feed take turns, and each
    event goes to one of them; :meth:`close` may run while another thread polls (the poll ends
    with StateError within one native wait, then the feed is freed)."""

    _feed = None

    def __init__(self, engine: "Engine", server: str) -> None:
        self._engine = engine
        self.server = server
        self._polling = threading.Lock()
        self._feed = NativeHandle(_c.berth_catalogue_open(engine._h(), server), _c.berth_catalogue_close,
                                  f"the catalogue feed of {server!r} is closed")

    def poll(self, timeout: float | None = 0.0) -> CatalogueEvent | None:
        """The next piece of work, waiting up to ``timeout`` seconds (None: for ever); None if none
        came. StateError once the engine or the feed is closed."""
        start = time.monotonic()
        if not self._polling.acquire(timeout=-1 if timeout is None else min(max(0.0, timeout), threading.TIMEOUT_MAX)):
            return None
        try:
            left = None if timeout is None else timeout - (time.monotonic() - start)
            event = _swig.berth_catalogue_event()

            def once(handle, ms: int) -> CatalogueEvent | None:
                _c.berth_catalogue_poll(handle, ms, event)
                if event.kind == _c.BERTH_CATALOGUE_NONE:
                    return None
                return CatalogueEvent(CatalogueKind(event.kind),
                                      event.stream_bytes().decode("utf-8", "surrogateescape"),
                                      event.source, event.version, event.attempt)

            return poll_sliced(once, left, self._feed)
        finally:
            self._polling.release()

    def __iter__(self) -> Iterator[CatalogueEvent]:
        return until_closed(self.poll)

    def close(self) -> None:
        """Frees the feed (idempotent); work not polled yet stays with the catalogue."""
        if self._feed is not None:
            self._feed.close()

    @property
    def closed(self) -> bool:
        return self._feed is None or self._feed.closed

    def __enter__(self) -> "CatalogueFeed":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


class EngineCatalogue:
    """Locate, migrate and delete streams (mixed into :class:`berth.Engine`)."""

    def _h(self):  # pragma: no cover - provided by Engine
        raise NotImplementedError

    def locate(self, stream: StreamId) -> Location:
        """Everything the served snapshot says of ``stream`` (UnavailableError before the first)."""
        raw = stream_id(stream)
        shown = stream if isinstance(stream, str) else stream.decode("utf-8", "surrogateescape")
        return _locate(self._h(), raw, shown)

    def migrate(self, stream: StreamId, to: str | None = None) -> None:
        """Asks the leader to move ``stream`` to server ``to`` (None: the policy chooses).
        NotFoundError for an unknown stream or destination; StateError for a destination not up,
        a stream migrating already or migrated too recently (the message says how long is left)."""
        raw = stream_id(stream)
        _c.berth_stream_migrate(self._h(), raw, None if to is None else server_id(to, "destination"))

    def migration_done(self, stream: StreamId, server: str, ok: bool = True) -> None:
        """``server``'s host copied ``stream`` (ok: it is active there only) or failed to (it is
        offered again). StateError when no such migration runs."""
        if not isinstance(ok, bool):
            raise TypeError(f"ok must be a bool, not {type(ok).__name__}")
        _c.berth_migration_done(self._h(), stream_id(stream), server_id(server), 1 if ok else 0)

    def delete_stream(self, stream: StreamId) -> None:
        """Deletes ``stream``, cancelling its migration; its locations are offered for purging."""
        _c.berth_stream_delete(self._h(), stream_id(stream))

    def stream_purged(self, stream: StreamId, server: str) -> None:
        """``server``'s host deleted ``stream``'s data (StateError when no purge is outstanding)."""
        _c.berth_stream_purged(self._h(), stream_id(stream), server_id(server))

    def catalogue_feed(self, server: str) -> CatalogueFeed:
        """The work ``server``'s host must do (copy-ins, purges); close it when done."""
        return CatalogueFeed(self, server_id(server))  # type: ignore[arg-type]
