"""A server marked for data migration, and locate's why, from Python (the Java twin is
tests/bindings/java/org/berth/MigrateOutTest.java): a leader and a follower on one memory cluster;
"s0" (joined through the leader) writes three streams, "s1" (through the follower) the others."""

from __future__ import annotations

import itertools
import os

import pytest

import berth
from test_catalogue import settings as catalogue_settings, until

_counter = itertools.count()


def settings(cluster: str, node: str) -> dict[str, str]:
    return catalogue_settings(cluster, node, **{"catalogue.max_migrations": "2",
                                                "catalogue.max_migrations_per_server": "1"})


def operator_entry(engine: berth.Engine, server: str) -> berth.ServerEntry | None:
    return next((e for e in engine.snapshot().operator_servers() if e.id == server), None)


def placed_entry(engine: berth.Engine, server: str) -> berth.ServerEntry:
    return next(e for e in engine.snapshot().server_entries() if e.id == server)


@pytest.fixture
def pair():
    """(leader, follower, streams): "s0" joined through the leader, "s1" through the follower,
    streams added until "s0" writes exactly three of them (those three)."""
    cluster = f"py-migrate-out-{os.getpid()}-{next(_counter)}"
    leader = berth.Engine(settings(cluster, "n0"))
    assert leader.wait_leader(30.0)
    follower = berth.Engine(settings(cluster, "n1"))
    try:
        leader.join("s0")
        follower.join("s1")
        on_s0: list[str] = []
        for i in range(40):
            leader.add_stream(f"m{i}", "t", 1.0)
            leader.flush()
            until(lambda: leader.status().version > 0 and leader.snapshot().server_count == 2
                  and all(leader.locate(f"m{k}").known for k in range(i + 1)), f"m{i} is placed")
            on_s0 = [f"m{k}" for k in range(i + 1) if leader.locate(f"m{k}").owner == "s0"]
            if len(on_s0) == 3:
                break
        assert len(on_s0) == 3, f"s0 writes {on_s0}"
        until(lambda: follower.status().version == leader.status().version, "both engines serve one version")
        assert not follower.is_leader
        yield leader, follower, tuple(on_s0)
    finally:
        follower.close()
        leader.close()


def statuses(engine: berth.Engine, streams) -> dict[str, berth.Location]:
    return {s: engine.locate(s) for s in streams}


def test_a_check_only_changes_nothing_and_says_the_figures(pair):
    leader, follower, streams = pair
    plan = follower.migrate_server("s0", check_only=True)
    assert plan == berth.ServerMigration(marked=False, streams=3, migrating_out=0,
                                         bounds=berth.MigrationBounds(2, 1), per_refresh=1, refreshes=4)
    leader.flush()
    leader.refresh()
    for engine in (leader, follower):
        assert operator_entry(engine, "s0") is None, "a check sends nothing"
        assert placed_entry(engine, "s0").state is berth.ServerState.UP
        assert all(at.status is berth.StreamStatus.ACTIVE and at.owner == "s0" for at in statuses(engine, streams).values())


def test_a_marked_server_drains_and_its_streams_migrate_out_within_the_bound_until_it_is_empty(pair):
    leader, follower, streams = pair
    with follower.catalogue_feed("s1") as feed:
        assert follower.migrate_server("s0").marked is False
        for engine in (leader, follower):
            entry = until(lambda: (lambda e: e if e is not None and e.migrating_out else None)(operator_entry(engine, "s0")),
                          f"{engine} shows s0 marked")
            assert entry.fields == berth.ServerField.MIGRATE and entry.member
            assert placed_entry(engine, "s0").state is berth.ServerState.DRAINING
            assert not placed_entry(engine, "s1").migrating_out
        with pytest.raises(berth.StateError, match="s0"):
            follower.migrate_server("s0")
        with pytest.raises(berth.StateError):
            leader.migrate_server("s0", check_only=True)

        done: list[str] = []
        while len(done) < len(streams):
            leader.refresh()
            event = feed.poll(10.0)
            assert event is not None, f"a copy-in after {done}"
            assert event.kind is berth.CatalogueKind.COPY_IN and event.source == "s0"
            assert event.stream in streams and event.stream not in done
            seen = until(lambda: (lambda at: at if at[event.stream].status is berth.StreamStatus.MIGRATING else None)(
                statuses(follower, streams)), f"{event.stream} migrates on the follower")
            assert sum(at.status is berth.StreamStatus.MIGRATING for at in seen.values()) == 1, \
                "max_migrations_per_server 1: one migration out of s0 at a time"
            assert seen[event.stream].owner == "s1" and seen[event.stream].migration_source == "s0"
            for stream in streams:
                if stream not in done:
                    assert follower.locate_why(stream).decision is berth.PlacementDecision.MIGRATING_OUT, stream
            plan = leader.migrate_server("s0", mark=False, check_only=True)
            assert plan.marked and plan.migrating_out == 1 and plan.streams == len(streams) - len(done) - 1
            follower.migration_done(event.stream, "s1", ok=True)
            done.append(event.stream)
            until(lambda: follower.locate(event.stream).status is berth.StreamStatus.ACTIVE,
                  f"{event.stream} is active at s1")

    for engine in (leader, follower):
        until(lambda: placed_entry(engine, "s0").streams == 0, f"{engine} shows s0 empty")
        assert all(at.owner == "s1" and at.read_locations == ("s1",) for at in statuses(engine, streams).values())
        assert operator_entry(engine, "s0").migrating_out, "an empty server stays marked"

    follower.migrate_server("s0", mark=False)
    for engine in (leader, follower):
        until(lambda: operator_entry(engine, "s0") is None, f"{engine} shows the mark cleared")
        assert placed_entry(engine, "s0").state is berth.ServerState.UP
    with pytest.raises(berth.StateError):
        follower.migrate_server("s0", mark=False)


def test_an_unknown_server_and_bad_arguments_are_refused(pair):
    leader, follower, streams = pair
    with pytest.raises(berth.NotFoundError, match="nowhere"):
        follower.migrate_server("nowhere")
    with pytest.raises(berth.StateError, match="s1"):
        follower.migrate_server("s1", mark=False)
    with pytest.raises(TypeError, match="mark"):
        follower.migrate_server("s0", mark=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="check_only"):
        follower.migrate_server("s0", check_only="yes")  # type: ignore[arg-type]
    with pytest.raises(berth.InvalidArgumentError):
        follower.migrate_server("")


def test_why_of_a_placed_an_unknown_and_a_migrating_out_stream(pair):
    leader, follower, streams = pair
    leader.add_stream("fresh", "t", 1.0)
    leader.flush()
    until(lambda: follower.locate("fresh").known, "the new stream reaches the follower")
    fresh = follower.locate_why("fresh")
    assert fresh.decision is berth.PlacementDecision.PLACED, fresh
    assert fresh.stream == "fresh" and fresh.version == follower.locate("fresh").version
    assert follower.locate("fresh").owner in fresh.detail
    assert not fresh.rules_evaluated and fresh.rule is None and fresh.allowed == () and fresh.rules_note

    unknown = follower.locate_why(b"never-added")
    assert unknown.decision is berth.PlacementDecision.UNKNOWN and unknown.stream == "never-added"
    assert "lookup" in unknown.detail
    assert "lookup" not in fresh.detail and fresh.detail != unknown.detail, \
        "an answer keeps its own strings after the next call on the thread"

    kept = follower.locate_why(streams[0])
    assert kept.decision in (berth.PlacementDecision.KEPT, berth.PlacementDecision.PLACED), kept
    assert "'s0'" in kept.detail

    leader.migrate_server("s0")
    why = until(lambda: (lambda w: w if w.decision is berth.PlacementDecision.MIGRATING_OUT else None)(
        follower.locate_why(streams[0])), "a stream of s0 migrates out on the follower")
    assert "s0" in why.detail
    with pytest.raises(berth.InvalidArgumentError):
        follower.locate_why("")
