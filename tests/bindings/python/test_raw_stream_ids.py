"""Stream ids that are not valid UTF-8, which a host may write as bytes: every binding hands them
back so that releasing or checking the id names the same bytes.

Python decodes an id with "surrogateescape" (each stray byte as U+DC80..U+DCFF) and encodes it back
the same way; Java does the same in its Strings. The cross-language test puts such a stream, added
by this Python process, in the hands of a Java host (OwnershipHostMain, through OwnershipRunner) on
a `file` backend, and drains it: the stream reaches the Python server only once the Java runner
released it under its exact bytes (a lossy decoding sends other bytes, the release is refused, and
the hand-off stalls while the Java host lives).
"""

from __future__ import annotations

import itertools
import os
import queue
import subprocess
import threading
import time

import pytest

import berth

RAW = b"raw-\xff\xfe-id"
_counter = itertools.count()


def memory_settings(node: str) -> dict[str, str]:
    return {
        "backend.name": "memory",
        "backend.cluster": f"py-raw-ids-{os.getpid()}-{next(_counter)}",
        "engine.node_id": node,
        "engine.refresh_on_change": "true",
        "engine.intake_flush": "2ms",
        "engine.intake_refresh_delay": "5ms",
        "policy.name": "sticky",
    }


def next_event(feed: berth.Ownership, timeout: float = 10.0) -> berth.OwnershipEvent:
    event = feed.poll(timeout)
    assert event is not None, f"no ownership event for {feed.server} within {timeout} s"
    return event


def test_a_python_feed_hands_back_an_id_that_is_not_utf8_exactly():
    with berth.Engine(memory_settings("n1")) as engine:
        engine.join("srv-a")
        assert engine.wait_leader(5.0)
        with engine.ownership("srv-a") as feed:
            engine.add_stream(RAW)
            engine.flush()
            event = next_event(feed)
            assert event.kind is berth.OwnershipKind.ACQUIRE
            assert event.stream == RAW.decode("utf-8", "surrogateescape")
            assert event.stream.encode("utf-8", "surrogateescape") == RAW
            assert feed.holds(event.stream) == event.token
            assert feed.holds(RAW) == event.token, "the bytes and the escaped str name one stream"
            assert feed.held() == {event.stream: event.token}
            feed.release(event.stream, event.token)
            after = feed.holds(RAW)
            assert after is None or after > event.token, f"still held under {after} after the release"


class JavaHost:
    """OwnershipHostMain in a process of its own; its stdout lines, as they come, in `lines`."""

    def __init__(self, java_host: dict[str, str], server: str, settings: dict[str, str]) -> None:
        classpath = os.pathsep.join([java_host["BERTH_JAR"], java_host["BERTH_JAVA_TEST_CLASSES"]])
        self.process = subprocess.Popen(
            [java_host["BERTH_JAVA"], f"-Dberth.jni.library={java_host['BERTH_JNI_LIBRARY']}", "-cp", classpath,
             "org.berth.OwnershipHostMain", server, *(f"{k}={v}" for k, v in settings.items())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8")
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, prefix: str, timeout: float) -> list[str]:
        """The words of the first line starting with `prefix` (fails after `timeout` s)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(0.0, left))
            except queue.Empty:
                pytest.fail(f"the Java host printed no '{prefix}' line within {timeout} s; it printed {self.seen}")
            self.seen.append(line)
            if line.startswith(prefix):
                return line.split()

    def finish(self) -> int:
        """Closes its stdin and waits for it to exit; every line it printed is in `seen` then."""
        self.process.stdin.close()
        try:
            rc = self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail("the Java host did not exit within 20 s of the end of its stdin")
        self._reader.join(5)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return rc

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def test_a_java_host_releases_an_id_that_is_not_utf8_under_its_exact_bytes(tmp_path, java_host):
    backend = {"backend.name": "file", "backend.dir": str(tmp_path), "engine.refresh_on_change": "true",
               "engine.intake_flush": "2ms", "engine.intake_refresh_delay": "5ms", "policy.name": "sticky"}
    with berth.Engine(dict(backend, **{"engine.node_id": "py-leader"})) as engine:
        assert engine.wait_leader(10.0)
        engine.add_stream(RAW)
        engine.flush()
        java = JavaHost(java_host, "java-srv", backend)
        try:
            java.expect("ready", 30)
            _, stream_hex, token, holds = java.expect("start ", 30)
            assert bytes.fromhex(stream_hex) == RAW, "the Java host names the stream by other bytes"
            assert int(holds) == int(token), "holds() in Java does not find the id it was given"
            engine.join("py-srv")
            with engine.ownership("py-srv") as feed:
                java.process.stdin.write("drain\n")
                java.process.stdin.flush()
                event = next_event(feed, 15.0)
                assert java.process.poll() is None, "the stream moved only once the Java host had exited"
                assert event.kind is berth.OwnershipKind.ACQUIRE
                assert event.stream.encode("utf-8", "surrogateescape") == RAW
                assert event.token > int(token)
                assert java.expect("stop ", 5)[1:] == [stream_hex, token]
                rc = java.finish()
                assert not any(line.startswith("failed") for line in java.seen), java.seen
                assert rc == 0, f"the Java host exited with {rc}: {java.process.stderr.read()}"
        finally:
            java.kill()
