"""The library's log lines in Python's logging (berth.logs): loggers "berth" and "berth.zookeeper",
the library's level filter, the node id on each record."""

from __future__ import annotations

import itertools
import logging
import os
import time

import pytest

import berth

_counter = itertools.count()


def memory_engine(node: str) -> berth.Engine:
    return berth.Engine({"backend.name": "memory", "engine.node_id": node,
                         "backend.cluster": f"py-logs-{os.getpid()}-{next(_counter)}"})


def wait_for(caplog, found, timeout: float = 20.0) -> list[logging.LogRecord]:
    """caplog's records once `found(records)` holds (the drain thread delivers them a little later)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found(caplog.records):
            return list(caplog.records)
        time.sleep(0.05)
    return list(caplog.records)


def leading(node: str):
    return lambda records: any(getattr(r, "berth_node", None) == node and "leading at epoch" in r.getMessage()
                               for r in records)


@pytest.fixture
def level():
    before = berth.logs.level()
    yield
    berth.logs.set_level(before)


def test_an_engines_info_line_reaches_the_berth_logger_with_its_node_and_time(caplog, level):
    caplog.set_level(logging.DEBUG)
    berth.logs.set_level(logging.INFO)
    node = f"py-log-loud-{os.getpid()}"
    started = time.time()
    with memory_engine(node):
        records = wait_for(caplog, leading(node))
    line = [r for r in records if leading(node)([r])]
    assert line, f"no 'leading' line of {node} in {[r.getMessage() for r in records]}"
    assert line[0].name == "berth" and line[0].levelno == logging.INFO
    assert started - 1 <= line[0].created <= time.time()


def test_lines_below_the_librarys_level_are_never_made(caplog, level):
    caplog.set_level(logging.DEBUG)
    berth.logs.set_level(logging.WARNING)
    assert berth.logs.level() == logging.WARNING
    quiet = f"py-log-quiet-{os.getpid()}"
    with memory_engine(quiet) as engine:
        engine.wait_version(1, 20.0)
    berth.logs.set_level(logging.INFO)
    loud = f"py-log-after-{os.getpid()}"
    with memory_engine(loud):
        records = wait_for(caplog, leading(loud))
    assert leading(loud)(records), "the line at INFO never came"
    # One queue, one drain thread, in order: a line of the quiet engine would have come first.
    assert not [r.getMessage() for r in records if getattr(r, "berth_node", None) == quiet]


def test_the_zookeeper_clients_own_lines_reach_berth_zookeeper(caplog, level):
    caplog.set_level(logging.DEBUG)
    berth.logs.set_level(logging.WARNING)
    with pytest.raises(berth.BerthError):
        berth.Engine({"backend.name": "zookeeper", "backend.connect": "127.0.0.1:1",
                      "backend.session_timeout": "2s"})

    def client_error(records):
        return any(r.name == "berth.zookeeper" and r.levelno == logging.ERROR and
                   r.getMessage().startswith("client: ") for r in records)

    records = wait_for(caplog, client_error, timeout=5.0)
    assert client_error(records), [(r.name, r.levelname, r.getMessage()) for r in records]
    assert all(r.levelno >= logging.WARNING for r in records if r.name.startswith("berth"))


def test_a_forked_child_drains_its_own_lines_into_logging(caplog, level):
    caplog.set_level(logging.DEBUG)
    berth.logs.set_level(logging.INFO)
    pid = os.fork()
    if pid == 0:
        found = False
        try:
            caplog.clear()
            node = f"py-log-child-{os.getpid()}"
            with memory_engine(node):
                found = leading(node)(wait_for(caplog, leading(node)))
        finally:
            os._exit(0 if found else 3)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status), f"the child did not exit normally (status {status})"
    assert os.WEXITSTATUS(status) == 0, "the child's 'leading' line never reached its logging"
