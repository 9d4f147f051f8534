"""The catalogue surface from Python (the Java twin is tests/bindings/java/org/berth/CatalogueTest.java):
two engines on one memory cluster, a leader and a follower, each joining one server."""

from __future__ import annotations

import itertools
import math
import os
import re
import subprocess
import threading
import time

import pytest

import berth
from conftest import required_path

_counter = itertools.count()
ZONE_A = "tenant('acme', function(t) t:require { zone = 'a' } end)\n"


def settings(cluster: str, node: str, **extra: str) -> dict[str, str]:
    return {
        "backend.name": "memory",
        "backend.cluster": cluster,
        "engine.node_id": node,
        "engine.refresh_interval": "1h",
        "engine.refresh_on_change": "true",
        "engine.intake_flush": "2ms",
        "engine.intake_refresh_delay": "2ms",
        "policy.name": "sticky",
        "catalogue.migration_interval": "1h",
        **extra,
    }


def until(predicate, what: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        got = predicate()
        if got:
            return got
        if time.monotonic() >= deadline:
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(0.005)


def served(engine: berth.Engine) -> bool:
    """True once the engine serves a snapshot (locate is UnavailableError before)."""
    return engine.status().version > 0


@pytest.fixture
def pair():
    """(leader, follower): "s0" joined through the leader, "s1" through the follower, stream "x"
    of tenant "tenant-x" placed."""
    cluster = f"py-catalogue-{os.getpid()}-{next(_counter)}"
    leader = berth.Engine(settings(cluster, "n0"))
    assert leader.wait_leader(30.0)
    follower = berth.Engine(settings(cluster, "n1"))
    try:
        leader.join("s0")
        follower.join("s1")
        leader.add_stream("x", "tenant-x", 1.0)
        leader.flush()
        for engine in (leader, follower):
            until(lambda: served(engine) and engine.locate("x").known and engine.snapshot().server_count == 2,
                  f"{engine} sees x and both servers")
        assert not follower.is_leader
        yield leader, follower
    finally:
        follower.close()
        leader.close()


def same_version(a: berth.Engine, b: berth.Engine) -> None:
    until(lambda: a.status().version == b.status().version, "both engines serve one version")


def test_a_server_set_from_the_follower_reaches_both_and_only_the_given_fields_change(pair):
    leader, follower = pair
    follower.set_server("store-9", register=True, capacity=2.5, labels={"zone": "a", "ssd": None})
    for engine in pair:
        entry = until(lambda: next((e for e in engine.snapshot().operator_servers() if e.id == "store-9"), None),
                      "the registered server reaches the engine")
        assert entry.registered and not entry.member
        assert entry.capacity == 2.5 and entry.state is None
        assert entry.labels == {"ssd": None, "zone": "a"}
        assert entry.fields == berth.ServerField.REGISTER | berth.ServerField.CAPACITY | berth.ServerField.LABELS
    placed = until(lambda: next((e for e in leader.snapshot().server_entries() if e.id == "store-9"), None),
                   "the registered server is placed on")
    assert placed.registered and not placed.member and placed.state is berth.ServerState.UP
    assert placed.factor == 1.0 and placed.signals == {}

    follower.set_server("store-9", state=berth.ServerState.READ_ONLY)
    for engine in pair:
        entry = until(lambda: next((e for e in engine.snapshot().operator_servers()
                                    if e.id == "store-9" and e.state is berth.ServerState.READ_ONLY), None),
                      "the state change reaches the engine")
        assert entry.capacity == 2.5, "a set of the state leaves the capacity as it was"
        assert entry.labels == {"ssd": None, "zone": "a"}
        assert entry.registered

    member = next(e for e in leader.snapshot().server_entries() if e.id == "s1")
    assert member.member and not member.registered and member.fields == berth.ServerField(0)

    leader.remove_server("store-9")
    for engine in pair:
        until(lambda: all(e.id != "store-9" for e in engine.snapshot().server_entries()),
              "the removed server leaves the engine's servers")
    same_version(leader, follower)
    with pytest.raises(berth.NotFoundError):
        follower.remove_server("store-9")


def test_a_migration_reads_from_both_until_the_destinations_copy_is_done(pair):
    leader, follower = pair
    source = leader.locate("x").owner
    dest = "s1" if source == "s0" else "s0"
    with leader.catalogue_feed(dest) as feed:
        follower.migrate("x", to=dest)
        for engine in pair:
            at = until(lambda: (lambda a: a if a.status is berth.StreamStatus.MIGRATING else None)(engine.locate("x")),
                       "x migrates")
            assert at.owner == dest
            assert set(at.read_locations) == {source, dest} and at.read_locations[0] == dest
            assert at.migration_source == source and at.migration_destination == dest
            assert at.tenant == "tenant-x" and at.known and at.stream == "x"
        with pytest.raises(berth.StateError):
            follower.migrate("x", to=source)  # migrating already

        event = feed.poll(30.0)
        assert event is not None and event.kind is berth.CatalogueKind.COPY_IN
        assert (event.stream, event.source, event.attempt) == ("x", source, 0)
        follower.migration_done("x", dest, ok=False)
        again = feed.poll(30.0)
        assert again is not None and again.kind is berth.CatalogueKind.COPY_IN and again.attempt == 1
        assert leader.locate("x").status is berth.StreamStatus.MIGRATING

        follower.migration_done("x", dest, ok=True)
        for engine in pair:
            at = until(lambda: (lambda a: a if a.status is berth.StreamStatus.ACTIVE else None)(engine.locate("x")),
                       "x is active again")
            assert at.owner == dest and at.read_locations == (dest,)
            assert at.migration_source is None and at.migration_destination is None
    assert feed.closed
    with pytest.raises(berth.StateError):
        feed.poll(0)


def test_a_migration_the_policy_chooses_goes_to_the_other_server(pair):
    leader, follower = pair
    source = leader.locate("x").owner
    follower.migrate("x")
    at = until(lambda: (lambda a: a if a.status is berth.StreamStatus.MIGRATING else None)(leader.locate("x")),
               "x migrates")
    assert at.owner != source and at.migration_source == source


def test_a_deletion_mid_migration_purges_both_locations_and_leaves_nothing(pair):
    leader, follower = pair
    source = leader.locate("x").owner
    dest = "s1" if source == "s0" else "s0"
    with follower.catalogue_feed(dest) as at_dest, follower.catalogue_feed(source) as at_source:
        leader.migrate("x", to=dest)
        until(lambda: follower.locate("x").status is berth.StreamStatus.MIGRATING, "x migrates")
        copy = at_dest.poll(30.0)
        assert copy is not None and copy.kind is berth.CatalogueKind.COPY_IN

        follower.delete_stream("x")
        for engine in pair:
            at = until(lambda: (lambda a: a if a.status is berth.StreamStatus.DELETING else None)(engine.locate("x")),
                       "x is deleting")
            assert not at.known and at.owner is None
            assert set(at.read_locations) == {source, dest}, "both locations are still to purge"
            assert at.migration_source is None, "the deletion cancelled the migration"
        with pytest.raises(berth.StateError):
            follower.migration_done("x", dest)

        for feed, server in ((at_dest, dest), (at_source, source)):
            purge = feed.poll(30.0)
            assert purge is not None and purge.kind is berth.CatalogueKind.PURGE, (server, purge)
            assert purge.stream == "x"
            follower.stream_purged("x", server)

    for engine in pair:
        at = until(lambda: (lambda a: a if a.status is berth.StreamStatus.ACTIVE else None)(engine.locate("x")),
                   "x is purged everywhere")
        assert not at.known and at.tenant == "" and at.holder is None, "unknown: a lookup would place it anew"
    with pytest.raises(berth.StateError):
        follower.stream_purged("x", dest)  # no purge outstanding any more
    with pytest.raises(berth.NotFoundError):
        leader.delete_stream("x")
    with pytest.raises(berth.NotFoundError):
        leader.migrate("x", to=dest)


def test_rules_round_trip_and_a_bad_script_leaves_the_old_rules():
    cluster = f"py-catalogue-rules-{os.getpid()}-{next(_counter)}"
    with berth.Engine(settings(cluster, "n0")) as leader, berth.Engine(settings(cluster, "n1")) as follower:
        assert leader.wait_leader(30.0)
        leader.join("srv-a", labels={"zone": "a"})
        follower.join("srv-b", labels={"zone": "b"})
        for i in range(8):
            leader.add_stream(f"acme-{i}", "acme", 1.0)
        leader.flush()
        until(lambda: served(follower) and follower.snapshot().stream_count == 8 and follower.snapshot().server_count == 2,
              "the follower sees the streams and servers")
        assert follower.snapshot().rules() == berth.Rules(0, 0, "")

        pushed = follower.push_rules(ZONE_A)
        assert pushed.replaces_version == 0
        version = follower.wait_rules(pushed.hash, timeout=30.0)
        assert version > 0
        leader.wait_rules(pushed.hash, timeout=30.0)
        for engine in (leader, follower):
            assert engine.snapshot().rules() == berth.Rules(version, pushed.hash, ZONE_A)
        until(lambda: all(follower.lookup(f"acme-{i}") == "srv-a" for i in range(8)), "the rule places acme on zone a")

        with pytest.raises(berth.ConfigError) as bad:
            follower.push_rules("tenant('acme', function(t) t:require('srv-nope') end)")
        assert "srv-nope" in str(bad.value)
        with pytest.raises(berth.ConfigError):
            leader.push_rules("tenant(")
        assert follower.snapshot().rules() == berth.Rules(version, pushed.hash, ZONE_A)
        with pytest.raises(berth.TimeoutError):
            follower.wait_rules(12345, timeout=0.05)
        with pytest.raises(berth.InvalidArgumentError):
            follower.push_rules("")
        with pytest.raises(TypeError):
            follower.push_rules(42)  # type: ignore[arg-type]


def test_a_reported_signal_shows_in_the_snapshots_weights_with_a_weigher():
    cluster = f"py-catalogue-signals-{os.getpid()}-{next(_counter)}"
    weigh = {"weigher.name": "marconi", "weigher.smoothing": "1"}
    with berth.Engine(settings(cluster, "n0", **weigh)) as leader, \
            berth.Engine(settings(cluster, "n1", **weigh)) as follower:
        assert leader.wait_leader(30.0)
        leader.join("a", 2.0)
        follower.join("b", 2.0)
        follower.report_signal("b", "cpu_load", 1.5)
        follower.report_signal("b", "free_capacity", 0.25)
        follower.flush()

        def weighed():
            leader.refresh()  # signals alone wait for the periodic refresh
            if not served(follower):
                return None
            weights = follower.snapshot().weights()
            return weights if "b" in weights and weights["b"].signals.get("free_capacity") == 0.25 else None

        weights = until(weighed, "the signals reach the follower's snapshot")
        assert weights["b"].signals == {"cpu_load": 1.5, "free_capacity": 0.25}
        assert weights["b"].configured_capacity == 2.0 and weights["b"].factor < 0.5
        assert weights["a"].factor == 1.0 and weights["a"].signals == {}
        snap = follower.snapshot()
        assert snap.weigher == "marconi"
        entry = next(e for e in snap.server_entries() if e.id == "b")
        assert entry.signals == weights["b"].signals and entry.factor == weights["b"].factor
        placed = next(s for s in snap.servers() if s.id == "b")
        assert math.isclose(placed.capacity, 2.0 * entry.factor)

    with berth.Engine(settings(f"{cluster}-plain", "n0")) as plain:
        plain.join("a")
        assert plain.wait_leader(30.0)
        until(lambda: served(plain) and plain.snapshot().server_count == 1, "the server is placed")
        assert plain.snapshot().weigher is None
        assert plain.snapshot().weights()["a"].factor == 1.0


@pytest.mark.parametrize("labels, message", [
    ({"zone": "a,ssd"}, "label 'zone'='a,ssd': ',' is not allowed in a value"),
    ({"zone=a": None}, "label 'zone=a': ',' and '=' are not allowed in a key"),
    ({"zone,ssd": "a"}, "label 'zone,ssd': ',' and '=' are not allowed in a key"),
    ({"": "a"}, "label ''='a': empty key"),
    ({"zone": "a=b"}, "label 'zone=a=b': '=' is not allowed in a value"),  # the C API's own check
])
def test_labels_from_a_map_that_would_join_into_other_labels_are_refused_naming_the_label(pair, labels, message):
    leader, _ = pair
    with pytest.raises(berth.InvalidArgumentError, match=re.escape(message)):
        leader.set_server("store-5", register=True, labels=labels)
    with pytest.raises(berth.InvalidArgumentError, match=re.escape(message)):
        leader.join("store-5", labels=labels)


def test_an_empty_label_value_is_a_bare_tag_as_none_is(pair):
    leader, follower = pair
    assert berth.servers.labels_text({"zone": "a", "ssd": "", "fast": None}) == "zone=a,ssd,fast"
    follower.set_server("store-7", register=True, labels={"zone": "a", "ssd": "", "fast": None})
    entry = until(lambda: next((e for e in leader.snapshot().operator_servers() if e.id == "store-7"), None),
                  "store-7 reaches the leader")
    assert entry.labels == {"fast": None, "ssd": None, "zone": "a"}
    leader.join("store-8", labels={"ssd": ""})  # "ssd=" would be refused by the C API


def test_other_threads_run_while_a_push_compiles_and_checks_its_script(pair):
    """The push runs its script up to the instruction limit (milliseconds of Lua) without the GIL:
    a thread waking every millisecond wakes several times during each push. Holding the GIL, it
    could wake at most about once per push (between two pushes)."""
    leader, _ = pair
    script = "for i = 1, 100000000 do end\n"  # ends at the instruction limit, refused
    wakeups = [0]
    stop = threading.Event()

    def wake() -> None:
        while not stop.is_set():
            time.sleep(0.001)
            wakeups[0] += 1

    waker = threading.Thread(target=wake)
    waker.start()
    pushes, during, spent = 20, 0, 0.0
    try:
        for _ in range(pushes):
            before, started = wakeups[0], time.monotonic()
            with pytest.raises(berth.ConfigError, match="instruction limit"):
                leader.push_rules(script)
            spent += time.monotonic() - started
            during += wakeups[0] - before
    finally:
        stop.set()
        waker.join(30.0)
    print(f"{during} wakeups during {pushes} pushes taking {spent * 1000:.1f} ms")
    assert during > 2 * pushes, f"{during} wakeups during {pushes} pushes ({spent * 1000:.1f} ms)"


def test_bad_arguments_raise_before_the_call_with_the_right_type(pair):
    leader, _ = pair
    with pytest.raises(berth.InvalidArgumentError, match="server id is empty"):
        leader.set_server("", capacity=1.0)
    with pytest.raises(TypeError, match="server id must be a str"):
        leader.set_server(7, capacity=1.0)  # type: ignore[arg-type]
    with pytest.raises(berth.InvalidArgumentError, match="nothing to set"):
        leader.set_server("s0")
    with pytest.raises(berth.InvalidArgumentError, match="capacity is not finite"):
        leader.set_server("s0", capacity=math.nan)
    with pytest.raises(TypeError, match="capacity must be a number"):
        leader.set_server("s0", capacity="2")  # type: ignore[arg-type]
    with pytest.raises(berth.InvalidArgumentError):
        leader.set_server("s0", capacity=-1.0)  # refused by the C API's own check
    with pytest.raises(ValueError):
        leader.set_server("s0", state=9)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        leader.set_server("s0", labels=3)  # type: ignore[arg-type]
    with pytest.raises(berth.InvalidArgumentError, match="stream id is empty"):
        leader.locate("")
    with pytest.raises(TypeError, match="stream id must be str or bytes"):
        leader.migrate(None)  # type: ignore[arg-type]
    with pytest.raises(berth.InvalidArgumentError, match="destination is empty"):
        leader.migrate("x", to="")
    with pytest.raises(TypeError, match="ok must be a bool"):
        leader.migration_done("x", "s0", ok=1)  # type: ignore[arg-type]
    with pytest.raises(berth.InvalidArgumentError, match="signal name is empty"):
        leader.report_signal("s0", "", 1.0)
    with pytest.raises(berth.InvalidArgumentError, match="signal value is not finite"):
        leader.report_signal("s0", "cpu_load", math.inf)
    with pytest.raises(berth.InvalidArgumentError):
        leader.catalogue_feed("")
    # What only the C API can tell: unknown stream, unknown destination, no migration running.
    with pytest.raises(berth.NotFoundError):
        leader.migrate("nope", to="s1")
    with pytest.raises(berth.NotFoundError):
        leader.migrate("x", to="nowhere")
    with pytest.raises(berth.StateError):
        leader.migration_done("x", "s1")
    with pytest.raises(berth.StateError):
        leader.stream_purged("x", "s0")
    with pytest.raises(berth.NotFoundError):
        leader.remove_server("never-set")


def test_a_feed_ends_when_its_engine_closes_and_bytes_ids_locate_the_same_stream(pair):
    leader, follower = pair
    assert leader.locate(b"x") == leader.locate("x")
    feed = follower.catalogue_feed("s0")
    assert feed.poll(0) is None
    follower.close()
    assert list(feed) == [], "iteration ends once the engine is closed"
    with pytest.raises(berth.StateError):
        feed.poll(0)
    feed.close()
    feed.close()
    assert feed.closed
    with pytest.raises(berth.StateError):
        follower.locate("x")


def readme_example(language: str) -> str:
    """The first ```language block of bindings/README.md's catalogue section."""
    readme = os.path.join(os.path.dirname(__file__), "..", "..", "..", "bindings", "README.md")
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    section = text.split("## The catalogue:", 1)[1].split("\n## ", 1)[0]
    return section.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def test_the_readme_catalogue_example_runs():
    example = readme_example("python")
    assert "engine.migration_done" in example
    exec(compile(example, "bindings/README.md (the catalogue example)", "exec"), {})


def test_closing_a_feed_ends_a_poll_in_progress_on_another_thread(pair):
    leader, _ = pair
    feed = leader.catalogue_feed("s1")
    outcome: list[object] = []

    def wait() -> None:
        try:
            outcome.append(feed.poll(None))
        except berth.StateError as e:
            outcome.append(e)

    poller = threading.Thread(target=wait)
    poller.start()
    # A native wait of the poll holds the feed's handle: the poll has started and not returned.
    until(lambda: feed._feed._calls == 1, "the poll waits inside the feed (there is no work for s1)", timeout=30.0)
    assert outcome == [], "the poll had not returned before close"
    started = time.monotonic()
    feed.close()
    poller.join(30.0)
    print(f"close returned and the poll ended {time.monotonic() - started:.3f} s after close began")
    assert not poller.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], berth.StateError), outcome
    assert feed.closed


def test_a_migration_beyond_the_bound_is_queued_and_starts_when_a_copy_is_done():
    cluster = f"py-catalogue-queued-{os.getpid()}-{next(_counter)}"
    with berth.Engine(settings(cluster, "n0", **{"catalogue.max_migrations": "1"})) as engine:
        assert engine.wait_leader(30.0)
        engine.join("s0")
        engine.join("s1")
        engine.add_stream("x", "t", 1.0)
        engine.add_stream("y", "t", 1.0)
        engine.flush()
        until(lambda: served(engine) and engine.locate("x").known and engine.locate("y").known, "x and y are placed")
        x_dest = "s1" if engine.locate("x").owner == "s0" else "s0"
        engine.migrate("x", to=x_dest)
        until(lambda: engine.locate("x").status is berth.StreamStatus.MIGRATING, "x migrates")
        engine.migrate("y")  # the policy chooses; the bound of 1 is taken by x
        y = until(lambda: (lambda a: a if a.migration_queued else None)(engine.locate("y")), "y's migration is queued")
        assert y.status is berth.StreamStatus.ACTIVE and y.migration_source is None
        y_source = y.owner
        assert y.queued_destination == "", "the policy chooses the queued migration's destination"
        assert engine.locate("x").queued_destination is None
        engine.migration_done("x", x_dest)
        y = until(lambda: (lambda a: a if a.status is berth.StreamStatus.MIGRATING else None)(engine.locate("y")),
                  "y's migration starts once x's copy is done")
        assert not y.migration_queued and y.queued_destination is None
        assert y.migration_source == y_source and y.owner != y_source


def test_the_readme_java_catalogue_example_compiles(java_host, tmp_path):
    """The Java example names a `settings` map, a `copy` method and a rules file it does not make:
    it is compiled (every call and type it uses exists with those arguments), not run."""
    javac = os.path.join(os.path.dirname(os.path.realpath(java_host["BERTH_JAVA"])), "javac")
    required_path("javac", javac, "install a JDK 17 (Debian: openjdk-17-jdk-headless)")
    source = tmp_path / "ReadmeCatalogue.java"
    source.write_text(
        "import java.nio.file.*;\nimport java.time.Duration;\nimport java.util.*;\nimport org.berth.*;\n"
        "final class ReadmeCatalogue {\n"
        "  static void copy(String stream, String source) {}\n"
        "  static void example(Map<String, String> settings) throws Exception {\n"
        + readme_example("java") + "  }\n}\n", encoding="utf-8")
    done = subprocess.run([javac, "-encoding", "UTF-8", "-cp", java_host["BERTH_JAR"], "-d", str(tmp_path),
                           str(source)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
