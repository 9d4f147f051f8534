"""Two Java write proxies (samples/java, --ownership) on a real ZooKeeper never have one stream's
writer open at once, while streams move between them (a proxy shut down gracefully, then started
again), and every stream ends up open in exactly one.

Each proxy logs "open STREAM TOKEN NANOS" / "close STREAM TOKEN NANOS" by CLOCK_MONOTONIC (Java's
System.nanoTime), which every process of the machine shares, so the intervals compare directly.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from conftest import required_env, required_path

STREAMS = [f"stream-{i}" for i in range(40)]
INFINITY = float("inf")


class Proxy:
    def __init__(self, java_host: dict[str, str], zookeeper: str, root: str, server: str, log: Path) -> None:
        jar = required_env("BERTH_WRITE_PROXY_JAR")["BERTH_WRITE_PROXY_JAR"]
        required_path("BERTH_WRITE_PROXY_JAR", jar, "build the tree first (cmake --build build)")
        self.server, self.log = server, log
        settings = {"backend.name": "zookeeper", "backend.connect": zookeeper, "backend.root": root,
                    "backend.session_timeout": "2s", "engine.refresh_interval": "2s",
                    "engine.refresh_on_change": "true", "engine.intake_flush": "2ms",
                    "engine.intake_refresh_delay": "5ms", "ownership.lease_margin": "300ms",
                    "policy.name": "sticky"}
        args = [java_host["BERTH_JAVA"], f"-Dberth.jni.library={java_host['BERTH_JNI_LIBRARY']}",
                "-cp", os.pathsep.join([java_host["BERTH_JAR"], jar]), "org.berth.samples.WriteProxy",
                "--server", server, "--ownership", "--log", str(log), "--add-streams", str(len(STREAMS)),
                "--drain-ms", "3000"]
        for key, value in settings.items():
            args += ["--set", f"{key}={value}"]
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, encoding="utf-8")

    def open_now(self) -> dict[str, int]:
        """The writers its log shows open now: stream -> token."""
        now: dict[str, int] = {}
        for what, stream, token, _ in read_log(self.log):
            if what == "open":
                now[stream] = token
            else:
                now.pop(stream, None)
        return now

    def stop(self) -> None:
        """Graceful: end of stdin makes it drain, wait for its streams to move, and leave."""
        self.process.stdin.close()
        try:
            rc = self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"{self.server} did not shut down within 20 s")
        assert rc == 0, f"{self.server} exited with {rc}: {self.process.stderr.read()}"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def read_log(path: Path) -> list[tuple[str, str, int, int]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        what, stream, token, nanos = line.split()
        assert what in ("open", "close"), line
        out.append((what, stream, int(token), int(nanos)))
    return out


def wait_until(what: str, timeout: float, done) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout} s")
        time.sleep(0.05)


def settled(proxies: list[Proxy], each_some: bool = True) -> bool:
    """Every stream open in exactly one of `proxies` (and, if each_some, every proxy has some)."""
    open_sets = [p.open_now() for p in proxies]
    every = sorted(s for o in open_sets for s in o)
    return every == sorted(STREAMS) and (not each_some or all(open_sets))


def intervals(logs: list[Path]) -> dict[str, list[tuple[int, float, int, str]]]:
    """stream -> [(opened, closed or infinity, token, log name)]; one log per proxy process."""
    per_stream: dict[str, list[tuple[int, float, int, str]]] = {}
    for log in logs:
        opened: dict[str, tuple[int, int]] = {}
        for what, stream, token, nanos in read_log(log):
            if what == "open":
                assert stream not in opened, f"{log.name}: {stream} opened twice"
                opened[stream] = (nanos, token)
            else:
                start, held_token = opened.pop(stream)
                assert held_token == token, f"{log.name}: {stream} closed under another token"
                per_stream.setdefault(stream, []).append((start, nanos, token, log.name))
        for stream, (start, token) in opened.items():
            per_stream.setdefault(stream, []).append((start, INFINITY, token, log.name))
    return per_stream


def overlaps(per_stream: dict[str, list[tuple[int, float, int, str]]]) -> list[str]:
    found = []
    for stream, spans in per_stream.items():
        spans.sort()
        for before, after in zip(spans, spans[1:]):
            if after[0] < before[1]:
                found.append(f"{stream}: {before} and {after}")
            if after[2] <= before[2]:
                found.append(f"{stream}: token {after[2]} after {before[2]}")
    return found


def test_checker_finds_an_overlap(tmp_path):
    """The interval check itself fails on two writers open at once."""
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_text("open s 2 100\nclose s 2 300\n")
    b.write_text("open s 5 250\n")
    assert overlaps(intervals([a, b])) != []
    b.write_text("open s 5 301\n")
    assert overlaps(intervals([a, b])) == []


def test_two_write_proxies_never_hold_a_stream_at_once(zookeeper, java_host, tmp_path):
    root = f"/berth-write-proxy-{os.getpid()}"
    logs: list[Path] = []
    proxies: list[Proxy] = []

    def start(server: str) -> Proxy:
        log = tmp_path / f"{server}-{len(logs)}.log"
        logs.append(log)
        proxy = Proxy(java_host, zookeeper, root, server, log)
        proxies.append(proxy)
        return proxy

    try:
        a, b = start("proxy-a"), start("proxy-b")
        wait_until("the streams split between both proxies", 30, lambda: settled([a, b]))
        a.stop()  # drains: every stream of proxy-a moves to proxy-b
        assert a.open_now() == {}
        wait_until("proxy-b serving every stream", 15, lambda: settled([b], each_some=False))
        a = start("proxy-a")  # joins again: the leader moves some streams back
        wait_until("the streams split again", 30, lambda: settled([a, b]))
        b.stop()
        wait_until("proxy-a serving every stream", 15, lambda: settled([a], each_some=False))
        assert set(a.open_now()) == set(STREAMS), "every stream ends up open in exactly one proxy"
        a.stop()  # the last one: nowhere to move, it closes its writers and leaves
    finally:
        for proxy in proxies:
            proxy.kill()
    per_stream = intervals(logs)
    assert set(per_stream) == set(STREAMS)
    assert overlaps(per_stream) == []
    assert sum(len(spans) for spans in per_stream.values()) > len(STREAMS), "streams moved"
