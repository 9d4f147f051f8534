"""The library's log lines in Python's :mod:`logging`.

Importing ``berth`` starts a daemon thread that drains the library's log queue (no library thread
ever calls into the interpreter) and hands each line to ``logging.getLogger("berth")`` (the
engine) or ``"berth.<source>"`` for a plugin's lines: ``"berth.zookeeper"`` for the ZooKeeper
backend and the ZooKeeper client library. A record carries the time the library logged it and the
engine's node id as ``record.berth_node`` ("" when unknown).

The library filters before anything is queued: :func:`set_level` sets that filter (it starts at
INFO); the loggers' own levels and handlers apply on top as usual. When the queue is full, lines
are dropped; the next line that gets through is preceded by a WARNING saying how many.

    import logging, berth
    logging.basicConfig(level=logging.INFO)
    berth.logs.set_level(logging.DEBUG)
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Optional

from . import _berth_swig as _c
from . import berth_swig as _swig
from ._poll import NativeHandle
from .errors import StateError

CAPACITY = 10000
"""Lines the library holds for the drain thread before it drops new ones."""

_TO_PYTHON = {
    _c.BERTH_LOG_DEBUG: logging.DEBUG,
    _c.BERTH_LOG_INFO: logging.INFO,
    _c.BERTH_LOG_WARN: logging.WARNING,
    _c.BERTH_LOG_ERROR: logging.ERROR,
}

_lock = threading.Lock()
_drain: Optional["_Drain"] = None


def set_level(level: int) -> None:
    """The library's filter, from a :mod:`logging` level: lines below it are never made. A level
    above ERROR (e.g. ``logging.CRITICAL``) turns every line off."""
    if level <= logging.DEBUG:
        native = _c.BERTH_LOG_DEBUG
    elif level <= logging.INFO:
        native = _c.BERTH_LOG_INFO
    elif level <= logging.WARNING:
        native = _c.BERTH_LOG_WARN
    elif level <= logging.ERROR:
        native = _c.BERTH_LOG_ERROR
    else:
        native = _c.BERTH_LOG_OFF
    _c.berth_log_set_level(native)


def level() -> int:
    """The library's filter as a :mod:`logging` level (``logging.CRITICAL + 1``: off)."""
    return _TO_PYTHON.get(_c.berth_log_level(), logging.CRITICAL + 1)


def dropped() -> int:
    """Lines dropped because the queue was full, since the drain started (0 when stopped)."""
    drain = _drain
    if drain is None:
        return 0
    try:
        return drain.queue.use(_c.berth_log_dropped)
    except StateError:
        return 0


class _Drain(threading.Thread):
    def __init__(self, capacity: int) -> None:
        super().__init__(name="berth-log", daemon=True)
        self.queue = NativeHandle(_c.berth_log_open(capacity), _c.berth_log_close, "the log queue is closed")
        self._reported = 0

    def run(self) -> None:
        record = _swig.berth_log_record()
        while True:
            try:
                got = self.queue.use(lambda h: _c.berth_log_poll(h, record, 1, 200))
            except StateError:
                return
            if got:
                self._report_drops()
                _emit(record.level, record.time_ns, record.source, record.node, record.message)

    def _report_drops(self) -> None:
        try:
            total = self.queue.use(_c.berth_log_dropped)
        except StateError:
            return
        if total > self._reported:
            logging.getLogger("berth").warning("%d log line(s) of the library dropped: its queue was full",
                                               total - self._reported)
            self._reported = total


def _emit(native_level: int, time_ns: int, source: str, node: str, message: str) -> None:
    logger = logging.getLogger("berth" if source == "berth" else "berth." + source)
    level = _TO_PYTHON.get(native_level, logging.ERROR)
    if not logger.isEnabledFor(level):
        return
    record = logger.makeRecord(logger.name, level, "(berth)", 0, message, None, None,
                               extra={"berth_node": node})
    record.created = time_ns / 1e9
    record.msecs = (time_ns // 1_000_000) % 1000
    logger.handle(record)


def start(capacity: int = CAPACITY) -> None:
    """Routes the library's lines to :mod:`logging` (done when ``berth`` is imported). Idempotent."""
    global _drain
    with _lock:
        if _drain is None:
            _drain = _Drain(capacity)
            _drain.start()


def stop() -> None:
    """Stops the routing: lines not drained yet are lost, and new ones go to standard error."""
    global _drain
    with _lock:
        drain, _drain = _drain, None
    if drain is not None:
        drain.queue.close()
        drain.join()


def _restart_in_child() -> None:
    # The child has no drain thread, and the library closed its queue in the child: a new lock
    # (the parent's may have been held by another thread) and a new drain, if one ran.
    global _lock, _drain
    _lock = threading.Lock()
    if _drain is not None:
        _drain = None
        start()


os.register_at_fork(after_in_child=_restart_in_child)
