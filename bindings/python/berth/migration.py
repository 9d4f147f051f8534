"""Servers marked for data migration (docs/catalogue.md, "Migrating a server out"):

    plan = engine.migrate_server("store-3", check_only=True)   # the checks and figures only
    engine.migrate_server("store-3")                           # mark: the leader moves its streams out
    engine.migrate_server("store-3", mark=False)               # clear the mark

While marked the server is published draining; each stream's migration is an ordinary one
(COPY_IN on the destination's catalogue feed, ended by :meth:`Engine.migration_done`).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _berth_swig as _c
from . import berth_swig as _swig
from ._checks import server_id


@dataclass(frozen=True)
class MigrationBounds:
    """The bounds of the configuration of the engine that answered (the leader's govern)."""
    max_migrations: int             # catalogue.max_migrations
    max_migrations_per_server: int  # catalogue.max_migrations_per_server


@dataclass(frozen=True)
class ServerMigration:
    """What marking a server means against the snapshot the engine serves."""
    marked: bool          # the snapshot shows the server marked already
    streams: int          # written there now, not migrating out yet
    migrating_out: int    # running migrations with the server as source
    bounds: MigrationBounds
    per_refresh: int      # migrations the bounds let start in one refresh, at most
    refreshes: int        # the fewest leader refreshes that see every stream out


def _flag(value: object, what: str) -> int:
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be a bool, not {type(value).__name__}")
    return 1 if value else 0


class EngineMigration:
    """Marking servers for data migration (mixed into :class:`berth.Engine`)."""

    def _h(self):  # pragma: no cover - provided by Engine
        raise NotImplementedError

    def migrate_server(self, server: str, *, mark: bool = True, check_only: bool = False) -> ServerMigration:
        """Marks ``server`` for data migration (``mark=False``: clears the mark), from any node;
        ``check_only=True`` makes the checks and sends nothing. NotFoundError for a server the
        served snapshot does not have; StateError for a read-only server, one marked already, or
        a mark to clear that is not there."""
        server = server_id(server)
        out = _swig.berth_server_migration()
        _c.berth_engine_server_migrate(self._h(), server, _flag(mark, "mark"), _flag(check_only, "check_only"), out)
        return ServerMigration(bool(out.marked), out.streams, out.migrating_out,
                               MigrationBounds(out.max_migrations, out.max_migrations_per_server),
                               out.per_refresh, out.refreshes)
