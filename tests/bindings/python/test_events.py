"""The polled event queue from Python (the Java twin is tests/bindings/java/org/berth/EventsTest.java)."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time

import pytest

import berth

_counter = itertools.count()


def settings(cluster: str, node: str, campaign: bool = True) -> dict[str, str]:
    return {
        "backend.name": "memory",
        "backend.cluster": cluster,
        "engine.node_id": node,
        "engine.refresh_on_change": "false",
        "engine.intake_refresh_delay": "0",  # versions only where a test refreshes
        "engine.campaign": "true" if campaign else "false",
    }


@pytest.fixture
def cluster() -> str:
    return f"py-events-{os.getpid()}-{next(_counter)}"


def next_of(events: berth.Events, kind: berth.EventKind, timeout: float = 5.0) -> berth.Event:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = events.poll(0.1)
        if event is not None and event.kind is kind:
            return event
    pytest.fail(f"no {kind.name} event within {timeout} s")


def test_a_follower_sees_a_version_event_after_the_leader_refreshes(cluster):
    with berth.Engine(settings(cluster, "leader")) as leader, \
            berth.Engine(settings(cluster, "follower", campaign=False)) as follower:
        assert leader.wait_leader(5.0)
        leader.join("srv-a")
        # The new leader's own first refresh is done (it would race with ours), and the follower
        # has seen the election: no event is pending when the queue opens.
        def settled() -> bool:
            return (leader.metrics().refresh_ok + leader.metrics().refresh_failed > 0
                    and follower.status().version == leader.status().version
                    and follower.status().epoch == leader.status().epoch)
        deadline = time.monotonic() + 30.0
        while time.monotonic() < deadline and not settled():
            time.sleep(0.005)
        assert settled(), "the leader's first refresh or the follower's catch-up took over 30 s"
        events = follower.events()
        assert events.poll(0) is None
        before = follower.status().version
        leader.refresh()
        event = events.poll(5.0)
        assert event == berth.Event(berth.EventKind.VERSION, before, leader.status().version, event.old_epoch,
                                    event.epoch, False, False)
        assert event.old_epoch == event.epoch

        # Coalesced: three refreshes nobody polled for arrive as one event, old -> newest.
        for _ in range(3):
            leader.refresh()
        newest = leader.status().version
        follower.wait_version(newest)
        event = events.poll(1.0)
        assert (event.kind, event.old_version, event.version) == (berth.EventKind.VERSION, newest - 3, newest)
        assert events.poll(0) is None
        events.close()


def test_leadership_events_on_resign(cluster):
    with berth.Engine(settings(cluster, "first")) as first:
        assert first.wait_leader(5.0)
        with berth.Engine(settings(cluster, "second")) as second, \
                first.events() as on_first, second.events() as on_second:
            epoch = first.status().epoch
            first.resign()
            lost = next_of(on_first, berth.EventKind.LEADERSHIP)
            assert not lost.is_leader and lost.old_epoch == epoch
            gained = next_of(on_second, berth.EventKind.LEADERSHIP)
            if not gained.is_leader:  # saw the epoch move before it won
                gained = next_of(on_second, berth.EventKind.LEADERSHIP)
            assert gained.is_leader and gained.epoch > epoch


def test_closing_the_engine_wakes_a_waiting_poll_with_a_state_error(cluster):
    engine = berth.Engine(settings(cluster, "closing", campaign=False))
    events = engine.events()
    outcome: dict[str, object] = {}

    def poller() -> None:
        start = time.monotonic()
        try:
            events.poll(30.0)
            outcome["error"] = None
        except berth.BerthError as e:
            outcome["error"] = e
        outcome["waited"] = time.monotonic() - start

    thread = threading.Thread(target=poller)
    thread.start()
    time.sleep(0.3)
    engine.close()
    thread.join(10.0)
    assert not thread.is_alive()
    error = outcome["error"]
    assert isinstance(error, berth.StateError), error
    assert error.code == berth.errors.E_STATE
    assert "engine was closed" in str(error)
    assert outcome["waited"] < 5.0
    with pytest.raises(berth.StateError):
        events.poll(0)
    assert list(events) == []  # iteration just ends
    events.close()
    events.close()
    with pytest.raises(berth.StateError, match="event queue is closed"):
        events.poll(0)


# Run in a process of its own: a queue freed under a waiting poll crashes the interpreter, which
# should fail this test, not end the suite.
_CLOSE_DURING_POLL = """
import sys, threading, time
import berth
engine = berth.Engine({"backend.name": "memory", "backend.cluster": sys.argv[1], "engine.node_id": "n1",
                       "engine.campaign": "false"})
for round in range(5):
    events = engine.events()
    outcomes = []
    def poll():
        try:
            outcomes.append(events.poll(None))
        except BaseException as e:
            outcomes.append(e)
    threads = [threading.Thread(target=poll) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.1)  # each poll is inside a native wait (or about to enter the next)
    assert all(t.is_alive() for t in threads), outcomes
    start = time.monotonic()
    events.close()
    took = time.monotonic() - start
    assert events.closed
    for t in threads:
        t.join(2.0)
        assert not t.is_alive(), f"round {round}: a poll did not end after close"
    assert len(outcomes) == 3 and all(isinstance(o, berth.StateError) for o in outcomes), outcomes
    assert all(str(o) == "the event queue is closed" for o in outcomes), outcomes
    assert took < 1.0, f"close took {took:.3f} s"
engine.status()
engine.close()
print("clean")
"""


def test_closing_the_queue_ends_polls_running_on_other_threads_before_freeing_it(cluster):
    proc = subprocess.run([sys.executable, "-c", _CLOSE_DURING_POLL, cluster], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "clean", \
        f"exit status {proc.returncode}; stdout {proc.stdout!r}; stderr {proc.stderr[-2000:]!r}"


def test_iteration_yields_events_as_they_come(cluster):
    with berth.Engine(settings(cluster, "leader")) as leader:
        assert leader.wait_leader(5.0)
        leader.join("srv-a")
        seen: list[berth.Event] = []
        with berth.Engine(settings(cluster, "follower", campaign=False)) as follower:
            events = follower.events()

            def consume() -> None:
                for event in events:
                    seen.append(event)

            thread = threading.Thread(target=consume)
            thread.start()
            leader.refresh()
            target = leader.status().version
            deadline = time.monotonic() + 5.0
            while not any(e.version == target for e in seen) and time.monotonic() < deadline:
                time.sleep(0.01)
        thread.join(5.0)  # closing the follower ended the iteration
        assert not thread.is_alive()
        assert any(e.kind is berth.EventKind.VERSION and e.version == target for e in seen)


def test_poll_times_out_with_none(cluster):
    with berth.Engine(settings(cluster, "quiet", campaign=False)) as engine, engine.events() as events:
        start = time.monotonic()
        assert events.poll(0.3) is None
        assert time.monotonic() - start >= 0.29


def test_degraded_mode_is_entered_and_left_through_a_partition(zookeeper):
    """A real ZooKeeper behind a proxy that is cut (DEGRADED entered) and healed (left)."""
    from tcp_proxy import TcpProxy

    proxy = TcpProxy(zookeeper)
    s = {"backend.name": "zookeeper", "backend.connect": proxy.address,
         "backend.root": f"/py-events-degraded-{os.getpid()}", "backend.session_timeout": "2s",
         "engine.node_id": "degraded", "engine.campaign": "false"}
    try:
        with berth.Engine(s) as engine, engine.events() as events:
            assert not engine.status().degraded
            proxy.blocked = True
            entered = next_of(events, berth.EventKind.DEGRADED, timeout=15.0)
            assert entered.degraded and engine.status().degraded
            proxy.blocked = False
            left = next_of(events, berth.EventKind.DEGRADED, timeout=30.0)
            assert not left.degraded
    finally:
        proxy.close()
