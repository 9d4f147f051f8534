"""Fixtures shared by the bindings' pytest suites."""

from __future__ import annotations

import os
import subprocess

import pytest


@pytest.fixture
def zookeeper() -> str:
    """A real ZooKeeper server's "host:port", started by tests/zookeeper's berth-zk-server
    (Debian's ZooKeeper on 127.0.0.1, a free port, a temporary directory), which kills it by its
    PID when its stdin closes."""
    program = os.environ.get("BERTH_ZK_SERVER")
    if not program:
        pytest.skip("BERTH_ZK_SERVER is set by CTest")
    if not os.path.exists("/usr/share/java/zookeeper.jar"):
        pytest.skip("Debian's zookeeper package is not installed")
    server = subprocess.Popen([program], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        address = server.stdout.readline().strip()
        assert address, f"berth-zk-server did not start: {server.stderr.read() if server.poll() is not None else ''}"
        yield address
    finally:
        server.stdin.close()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
