"""The ownership feed from Python (the Java twin is tests/bindings/java/org/berth/OwnershipTest.java):
two engines on one memory cluster, each joining one server."""

from __future__ import annotations

import itertools
import os
import time

import pytest

import berth

_counter = itertools.count()
STREAMS = [f"stream-{i}" for i in range(20)] + ["strüm-ß"]


def settings(cluster: str, node: str) -> dict[str, str]:
    return {
        "backend.name": "memory",
        "backend.cluster": cluster,
        "engine.node_id": node,
        "engine.refresh_interval": "2s",
        "engine.refresh_on_change": "true",
        "engine.intake_flush": "2ms",
        "engine.intake_refresh_delay": "5ms",
        "policy.name": "sticky",
    }


@pytest.fixture
def cluster() -> str:
    return f"py-ownership-{os.getpid()}-{next(_counter)}"


def acquire_all(feed: berth.Ownership, count: int, timeout: float = 10.0) -> dict[str, int]:
    """Polls `feed` until it acquired `count` streams; returns stream -> token."""
    got: dict[str, int] = {}
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        event = feed.poll(0.1)
        if event is not None:
            assert event.kind is berth.OwnershipKind.ACQUIRE, event
            got[event.stream] = event.token
    assert len(got) == count, f"{feed.server} acquired {len(got)} of {count} streams in {timeout} s"
    return got


def test_the_feed_is_an_iterator_and_a_context_manager(cluster):
    engine = berth.Engine(settings(cluster, "n1"))
    engine.join("srv-a")
    assert engine.wait_leader(5.0)
    with engine.ownership("srv-a") as feed:
        for s in STREAMS:
            engine.add_stream(s)
        engine.flush()
        acquired: dict[str, int] = {}
        for event in feed:
            assert event.kind is berth.OwnershipKind.ACQUIRE and event.token == event.version > 0
            acquired[event.stream] = event.token
            if len(acquired) == len(STREAMS):
                break
        assert set(acquired) == set(STREAMS)
        assert feed.held() == acquired
        assert all(feed.holds(s) == t for s, t in acquired.items())
        assert all(feed.holds(s.encode()) == t for s, t in acquired.items()), "bytes ids too"
        assert feed.holds("never-added") is None
        assert engine.metrics().streams_held == len(STREAMS)
        engine.close()
        assert feed.holds(STREAMS[0]) is None, "closing the engine ends every claim"
        list(feed)  # iteration ends once the engine is closed
        with pytest.raises(berth.StateError):
            feed.poll(0)
    assert feed.closed
    with pytest.raises(berth.StateError):
        feed.holds(STREAMS[0])


def test_closing_the_engine_delivers_a_revocation_per_held_stream(cluster):
    """berth.h: "Once the engine is closed (or the server left), pending revocations are delivered,
    then BERTH_E_STATE"."""
    engine = berth.Engine(settings(cluster, "n1"))
    engine.join("srv-a")
    assert engine.wait_leader(5.0)
    with engine.ownership("srv-a") as feed:
        for s in STREAMS:
            engine.add_stream(s)
        engine.flush()
        acquired = acquire_all(feed, len(STREAMS))
        engine.close()
        events = list(feed)
        assert {e.stream for e in events} == set(STREAMS)
        assert all(e.kind is berth.OwnershipKind.REVOKED and e.ended_ns > 0 for e in events)
        assert all(e.token == acquired[e.stream] for e in events)


def test_release_ends_the_claim_and_a_wrong_token_is_refused(cluster):
    with berth.Engine(settings(cluster, "n1")) as engine:
        engine.join("srv-a")
        assert engine.wait_leader(5.0)
        with engine.ownership("srv-a") as feed:
            engine.add_stream("orders")
            engine.flush()
            token = acquire_all(feed, 1)["orders"]
            with pytest.raises(berth.StateError):
                feed.release("orders", token + 1)
            assert feed.holds("orders") == token
            feed.release("orders", token)
            # Still its owner, the stream may be granted again at once (a grant-only version takes
            # well under a millisecond): never again under the released token.
            after = feed.holds("orders")
            assert after is None or after > token, f"still held under {after} after releasing {token}"
            assert feed.held().get("orders", 0) != token
            # Released while still its owner: the leader grants it again, under a higher token.
            again = acquire_all(feed, 1)["orders"]
            assert again > token


def test_a_feed_of_a_server_not_joined_here_is_not_found(cluster):
    with berth.Engine(settings(cluster, "n1")) as engine:
        with pytest.raises(berth.NotFoundError):
            engine.ownership("srv-nobody")


def settle(feeds: list[berth.Ownership], streams: list[str], timeout: float = 10.0) -> None:
    """Pumps the feeds (acknowledging every release at once) until each stream is held by one of
    them and every feed holds some."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for feed in feeds:
            event = feed.poll(0.02)
            if event is not None and event.kind is berth.OwnershipKind.RELEASE:
                feed.release(event.stream, event.token)
        held = [feed.held() for feed in feeds]
        if all(held) and sorted(s for h in held for s in h) == sorted(streams):
            return
    pytest.fail(f"the streams did not settle in {timeout} s: {[feed.held() for feed in feeds]}")


def test_drain_moves_every_stream_to_the_other_server_only_after_each_release(cluster):
    with berth.Engine(settings(cluster, "n1")) as first, berth.Engine(settings(cluster, "n2")) as second:
        first.join("srv-a")
        assert first.wait_leader(5.0)
        second.join("srv-b")
        with first.ownership("srv-a") as a, second.ownership("srv-b") as b:
            for s in STREAMS:
                first.add_stream(s)
            first.flush()
            settle([a, b], STREAMS)
            while a.poll(0) or b.poll(0):
                pass
            held_a, held_b = a.held(), b.held()
            first.drain("srv-a", True)
            releases: dict[str, int] = {}
            deadline = time.monotonic() + 10.0
            while len(releases) < len(held_a) and time.monotonic() < deadline:
                event = a.poll(0.05)
                if event is not None:
                    assert event.kind is berth.OwnershipKind.RELEASE, event
                    releases[event.stream] = event.token
                assert b.poll(0) is None, "srv-b acquired a stream srv-a had not released"
            assert releases == held_a, "every stream of the drained server is asked back"
            # Nothing moves while srv-a keeps them: the leader waits for the acknowledgement.
            time.sleep(0.3)
            assert b.poll(0) is None and b.held() == held_b
            assert a.held() == held_a
            for s, token in releases.items():
                assert b.holds(s) is None
                a.release(s, token)
            moved = acquire_all(b, len(held_a))
            assert set(moved) == set(held_a)
            assert all(moved[s] > held_a[s] for s in moved), "tokens increase across owners"
            assert a.held() == {} and set(b.held()) == set(STREAMS)
            first.drain("srv-a", False)


def test_threads_polling_one_feed_take_turns_and_each_event_goes_to_one(cluster):
    """The native feed refuses a second poll while one runs; the Python feed makes its pollers
    wait for their turn instead, so neither sees an error and no event is seen twice."""
    import threading

    with berth.Engine(settings(cluster, "n1")) as engine:
        engine.join("srv-a")
        assert engine.wait_leader(5.0)
        feed = engine.ownership("srv-a")
        seen: list[str] = []
        errors: list[BaseException] = []
        stop = threading.Event()

        def poller() -> None:
            try:
                while not stop.is_set():
                    event = feed.poll(0.05)
                    if event is not None:
                        seen.append(event.stream)
            except BaseException as e:  # noqa: BLE001 - every failure is the test's
                errors.append(e)

        threads = [threading.Thread(target=poller) for _ in range(3)]
        for t in threads:
            t.start()
        for s in STREAMS:
            engine.add_stream(s)
        engine.flush()
        deadline = time.monotonic() + 10.0
        while len(seen) < len(STREAMS) and time.monotonic() < deadline and not errors:
            time.sleep(0.01)
        stop.set()
        for t in threads:
            t.join()
        assert errors == []
        assert sorted(seen) == sorted(STREAMS), "an event was lost or seen twice"
        feed.close()


def test_a_poll_waiting_for_its_turn_gives_up_at_its_timeout(cluster):
    import threading

    with berth.Engine(settings(cluster, "n1")) as engine:
        engine.join("srv-a")
        feed = engine.ownership("srv-a")
        waiting = threading.Thread(target=feed.poll, args=(1.0,))
        waiting.start()
        time.sleep(0.1)
        start = time.monotonic()
        assert feed.poll(0.1) is None
        took = time.monotonic() - start
        waiting.join()
        assert 0.05 <= took < 0.6, f"a 0.1 s poll behind a 1 s one took {took:.3f} s"
        feed.close()


def test_closing_a_feed_ends_a_poll_running_on_another_thread(cluster):
    import threading

    with berth.Engine(settings(cluster, "n1")) as engine:
        engine.join("srv-a")
        feed = engine.ownership("srv-a")
        outcome: list[object] = []

        def poll_for_ever() -> None:
            try:
                outcome.append(feed.poll(None))
            except BaseException as e:  # noqa: BLE001 - the test looks at what ended it
                outcome.append(e)

        t = threading.Thread(target=poll_for_ever)
        t.start()
        time.sleep(0.1)
        start = time.monotonic()
        feed.close()
        t.join(2.0)
        assert not t.is_alive(), "the poll did not end after close"
        assert time.monotonic() - start < 1.0
        assert len(outcome) == 1 and isinstance(outcome[0], berth.StateError), outcome
        assert "'srv-a' is closed" in str(outcome[0])
