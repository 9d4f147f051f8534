"""The bindings' behaviour suite (the Java twin is tests/bindings/java/org/berth/EngineTest.java).

Run by CTest with PYTHONPATH set to the build's package directory. Every test uses the in-process
memory backend with its own backend.cluster.
"""

from __future__ import annotations

import builtins
import itertools
import math
import os
import time

import pytest

import berth

_counter = itertools.count()


def fresh_cluster(tag: str) -> str:
    return f"py-{os.getpid()}-{next(_counter)}-{tag}"


def settings(cluster: str, node: str, **extra: str) -> dict[str, str]:
    s = {
        "backend.name": "memory",
        "backend.cluster": cluster,
        "engine.node_id": node,
        "engine.refresh_on_change": "false",
        # Versions change only when a test refreshes (intake would otherwise wake the leader).
        "engine.intake_refresh_delay": "0",
        "appraiser.name": "reported",
    }
    s.update(extra)
    return s


@pytest.fixture
def published():
    """A leader with 3 servers and 30 streams, after one refresh."""
    with berth.Engine(settings(fresh_cluster("pub"), "py-node")) as engine:
        for i in range(3):
            engine.join(f"srv-{i}")
        for i in range(30):
            engine.add_stream(f"s{i}", "tenant", 1.0 + i)
        engine.flush()
        assert engine.wait_leader(5.0)
        engine.refresh()
        engine.wait_version(1, timeout=5.0)
        yield engine


def test_version():
    assert berth.version() == berth.__version__
    assert berth.version().count(".") == 2


def test_api_version_is_the_headers():
    assert berth.api_version() == (berth.berth_swig.BERTH_API_VERSION_MAJOR, berth.berth_swig.BERTH_API_VERSION_MINOR)


def test_open_close_and_context_manager():
    engine = berth.Engine(settings(fresh_cluster("open"), "n1"))
    assert not engine.closed
    engine.close()
    assert engine.closed
    engine.close()  # idempotent
    with pytest.raises(berth.StateError):
        engine.join("srv")
    with pytest.raises(berth.BerthError):
        engine.lookup("s")
    with berth.Options(settings(fresh_cluster("open"), "n2")) as options:
        with berth.Engine(options) as engine:
            assert not engine.closed
        assert engine.closed
    assert options.closed


def test_lookup_returns_a_joined_server(published):
    owner = published.lookup("s7")
    assert owner in {"srv-0", "srv-1", "srv-2"}
    assert isinstance(owner, str)
    assert published.lookup(b"s7") == owner  # bytes ids work too


def test_unknown_stream_gets_the_same_owner_twice(published):
    first = published.lookup("never-added")
    assert first in {"srv-0", "srv-1", "srv-2"}
    assert published.lookup("never-added") == first
    assert published.metrics().lookups_unknown >= 2


def test_batch_lookup_equals_single_lookups(published):
    names = [f"s{i}" for i in range(30)] + ["never-added", "other-unknown", b"s3"]
    batch = published.lookup_batch(names)
    assert batch == [published.lookup(n) for n in names]
    assert published.lookup_batch([]) == []
    assert published.lookup_batch(tuple(names)) == batch


def test_batch_lookup_with_many_distinct_owners():
    with berth.Engine(settings(fresh_cluster("many"), "n")) as engine:
        for i in range(150):
            engine.join(f"srv-{i}")
        assert engine.wait_leader(5.0)
        engine.refresh()
        engine.wait_version(1)
        names = [f"u-{i}" for i in range(3000)]
        batch = engine.lookup_batch(names)
        assert batch == [engine.lookup(n) for n in names]
        assert len(set(batch)) > 100


def test_batch_lookup_with_more_owners_than_its_str_cache_holds():
    with berth.Engine(settings(fresh_cluster("owners"), "n")) as engine:
        for i in range(500):
            engine.join(f"srv-{i}")
        assert engine.wait_leader(5.0)
        engine.refresh()
        engine.wait_version(1)
        names = [f"u-{i}" for i in range(6000)]
        batch = engine.lookup_batch(names)
        assert batch == [engine.lookup(n) for n in names]
        assert len(set(batch)) > 400
        assert engine.lookup_batch(names[:3]) == batch[:3]  # a small batch, a small table


def test_batch_lookup_names_the_bad_stream(published):
    with pytest.raises(berth.InvalidArgumentError) as info:
        published.lookup_batch(["s1", ""])
    assert info.value.code == berth.errors.E_INVALID_ARGUMENT
    with pytest.raises(TypeError):
        published.lookup_batch(["s1", 3])


def test_bad_config_key_is_a_config_error_naming_the_key():
    with pytest.raises(berth.ConfigError) as info:
        berth.Options({"engine.no_such_key": "1"})
    assert info.value.code == berth.errors.E_CONFIG == 5
    assert "engine.no_such_key" in str(info.value)
    assert isinstance(info.value, berth.BerthError)
    with berth.Options() as options:
        with pytest.raises(berth.ConfigError, match="broken:2"):
            options.load_string("[engine]\nx = \n", "broken")
        with pytest.raises(berth.ConfigError):
            options.load_file("/nonexistent/berth.toml")


def test_bad_plugin_path_is_a_not_found_or_plugin_error():
    s = settings(fresh_cluster("plugin"), "n1")
    s["policy.name"] = "/nonexistent/plugin.so"
    with pytest.raises((berth.NotFoundError, berth.PluginError)) as info:
        berth.Engine(s)
    assert info.value.code in (berth.errors.E_NOT_FOUND, berth.errors.E_PLUGIN)
    assert "/nonexistent/plugin.so" in str(info.value)


def test_refresh_on_a_follower_is_a_state_error():
    cluster = fresh_cluster("follower")
    with berth.Engine(settings(cluster, "leader")) as leader, \
            berth.Engine(settings(cluster, "follower")) as follower:
        assert leader.wait_leader(5.0)
        assert not follower.is_leader
        with pytest.raises(berth.StateError, match="not the leader") as info:
            follower.refresh()
        assert info.value.code == berth.errors.E_STATE
        with pytest.raises(berth.TimeoutError) as timeout:
            follower.wait_version(99, timeout=0.01)
        assert isinstance(timeout.value, builtins.TimeoutError)
        assert timeout.value.code == berth.errors.E_TIMEOUT


def test_join_with_labels():
    with berth.Engine(settings(fresh_cluster("labels"), "n")) as engine:
        engine.join("srv-a", 1.0, labels="zone=a,rack=r1,ssd")
        engine.join("srv-b", 2.0, labels={"zone": "b", "ssd": None})
        engine.join("srv-c", labels="")
        with pytest.raises(berth.InvalidArgumentError, match="srv-d.*bad label") as info:
            engine.join("srv-d", labels="bad label")
        assert info.value.code == berth.errors.E_INVALID_ARGUMENT
        assert engine.wait_leader(5.0)
        engine.refresh()
        with engine.snapshot() as snap:
            assert {s.id: s.capacity for s in snap.servers()} == {"srv-a": 1.0, "srv-b": 2.0, "srv-c": 1.0}


def test_bad_arguments_are_invalid_argument_errors(published):
    with pytest.raises(berth.InvalidArgumentError):
        published.join("bad", -1.0)
    with pytest.raises(ValueError):  # InvalidArgumentError is a ValueError too
        published.join("bad", math.nan)
    with pytest.raises(berth.InvalidArgumentError, match="empty"):
        published.lookup("")
    with pytest.raises(TypeError):
        published.lookup(42)


def test_snapshot_accessors(published):
    with published.snapshot() as snap:
        assert snap.version >= 1
        assert snap.epoch >= 1
        assert snap.server_count == 3
        assert snap.stream_count == 30
        assert snap.policy == "sticky"
        assert snap.leader == "py-node"
        servers = snap.servers()
        assert sorted(s.id for s in servers) == ["srv-0", "srv-1", "srv-2"]
        assert all(s.capacity == 1.0 for s in servers)
        assert sum(s.load for s in servers) == pytest.approx(sum(1.0 + i for i in range(30)))
        assert sum(s.streams for s in servers) == 30
        streams = list(snap.streams())
        assert sorted(s.id for s in streams) == sorted(f"s{i}" for i in range(30))
        for s in streams:
            assert s.owner == published.lookup(s.id)
        with pytest.raises(berth.InvalidArgumentError, match="out of range"):
            snap.stream(30)
        with pytest.raises(berth.InvalidArgumentError):
            snap.server(3)
    with pytest.raises(berth.StateError):
        _ = snap.version


def test_a_forgotten_engine_is_closed_when_collected():
    import gc

    cluster = fresh_cluster("forgotten")
    with berth.Engine(settings(cluster, "leader")) as leader:
        assert leader.wait_leader(5.0)
        leader.join("srv-l")
        ghost = berth.Engine(settings(cluster, "ghost"))
        ghost.join("ghost-srv")
        leader.refresh()
        assert leader.status().server_count == 2
        del ghost  # no close()
        gc.collect()
        leader.refresh()
        assert leader.status().server_count == 1


def test_snapshot_before_the_first_is_not_found():
    with berth.Engine(settings(fresh_cluster("nosnap"), "n1", **{"engine.campaign": "false"})) as engine:
        with pytest.raises(berth.NotFoundError):
            engine.snapshot()


def test_status_metrics_and_text(published):
    st = published.status()
    assert st.is_leader and st.version >= 1 and st.server_count == 3 and st.stream_count == 30
    m = published.metrics()
    assert m.version >= 1 and m.max_over_lb >= 1.0 and m.refresh_ok >= 1
    assert m.snapshots_rejected == 0 and m.intake_rejected == 0
    assert (m.rules_hash, m.rules_refused, m.rules_problems, m.rules_kept_owner, m.rules_violations) == (0,) * 5, \
        "no rules configured"
    text = published.metrics_text()
    assert 'berth_snapshot_version{node="py-node"}' in text


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def test_no_leak_over_open_close_cycles_and_lookups():
    cycles = int(os.environ.get("BERTH_LEAK_CYCLES", "10000"))
    lookups = int(os.environ.get("BERTH_LEAK_LOOKUPS", "1000000"))
    cluster = fresh_cluster("leak")

    def cycle(n: int) -> None:
        for i in range(n):
            with berth.Engine(settings(cluster, f"n{i % 3}")) as engine:
                engine.join("srv-a")
                try:  # the error path must not leak either
                    engine.lookup("warm")
                except (berth.UnavailableError, berth.NoServersError):
                    pass
            # forgotten close(): the handle is freed by __del__
            berth.Options(settings(cluster, "gc"))

    def lookup_loop(engine: berth.Engine, n: int) -> None:
        names = [f"stream-{i}" for i in range(1000)]
        done = 0
        while done < n:
            for name in names:
                engine.lookup(name)
            engine.lookup_batch(names)
            done += 2 * len(names)

    start = time.monotonic()
    cycle(200)  # warm-up: allocator pools, interned plugin state
    with berth.Engine(settings(fresh_cluster("leak-l"), "n")) as engine:
        engine.join("srv-a")
        engine.join("srv-b")
        assert engine.wait_leader(5.0)
        engine.refresh()
        engine.wait_version(1)
        lookup_loop(engine, 20000)
        before = _rss_mb()
        cycle(cycles)
        lookup_loop(engine, lookups)
        after = _rss_mb()
    print(f"RSS {before:.1f} MB -> {after:.1f} MB over {cycles} open/close cycles and {lookups} lookups")
    assert after - before < 30.0, f"RSS grew from {before:.1f} MB to {after:.1f} MB"
    # A guard against pathological slowness only; other suites share the cores.
    assert time.monotonic() - start < 240


NON_ASCII = ["stréam", "流-7", "emoji-😀", "tab\tand space", "x" * 300, "ü" * 200]


def expect_java_agrees(engine, proc, version, names, ours):
    """AgreementMain's output (`proc`) gives the owners `engine` gives at the version Java served.

    The leader may publish once more on its own after `version` (a version that granted nothing
    is soon followed by one that grants, docs/ownership.md): then both sides are compared at the
    version Java served, and nothing may have been published after it.
    """
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    java_version = int(lines[0])
    assert java_version >= version
    if java_version != version:
        engine.wait_version(java_version)
        ours = engine.lookup_batch(names)
    assert engine.status().version == java_version, "no publication in between"
    assert lines[1:] == ours


def test_non_ascii_ids_round_trip():
    with berth.Engine(settings(fresh_cluster("utf8"), "nœud-😀")) as engine:
        servers = ["srv-é", "srv-😀", "srv-流"]
        for s in servers:
            engine.join(s)
        for i, name in enumerate(NON_ASCII):
            engine.add_stream(name, "tenant-ü", 1.0 + i)
        engine.flush()
        assert engine.wait_leader(5.0)
        engine.refresh()
        engine.wait_version(1)
        with engine.snapshot() as snap:
            assert snap.leader == "nœud-😀"
            assert sorted(s.id for s in snap.servers()) == sorted(servers)
            assert sorted(s.id for s in snap.streams()) == sorted(NON_ASCII)
        names = NON_ASCII + ["unknown-ß", "unknown-🚀"]
        singles = [engine.lookup(n) for n in names]
        assert all(o in servers for o in singles)
        assert engine.lookup_batch(names) == singles
        assert [engine.lookup(n.encode()) for n in names] == singles


def test_java_and_python_agree_on_a_file_backend(tmp_path, java_host):
    """A Java process and this Python process on one `file` directory give the same owners."""
    import subprocess

    java = java_host["BERTH_JAVA"]
    classpath = os.pathsep.join([java_host["BERTH_JAR"], java_host["BERTH_JAVA_TEST_CLASSES"]])
    s = {
        "backend.name": "file",
        "backend.dir": str(tmp_path),
        "engine.node_id": "py-agreement",
        "engine.refresh_on_change": "false",
        "engine.intake_refresh_delay": "0",  # the unknown lookups below must not publish
    }
    with berth.Engine(s) as engine:
        for i in range(4):
            engine.join(f"srv-{i}", 1.0 + i)
        known = [f"stream-{i}" for i in range(200)] + NON_ASCII
        for name in known:
            engine.add_stream(name)
        engine.flush()
        assert engine.wait_leader(10.0)
        engine.refresh()
        version = engine.status().version
        engine.wait_version(version)
        names = known + [f"unknown-{i}" for i in range(100)] + ["unknown-ß", "unknown-🚀"]
        ours = engine.lookup_batch(names)
        proc = subprocess.run(
            [java, f"-Dberth.jni.library={java_host['BERTH_JNI_LIBRARY']}", "-cp", classpath,
             "org.berth.AgreementMain", str(version), "backend.name=file", f"backend.dir={tmp_path}"],
            input="\n".join(names) + "\n", capture_output=True, encoding="utf-8", timeout=60)
        expect_java_agrees(engine, proc, version, names, ours)
