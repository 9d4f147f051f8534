"""The wait shared by the polled queues (events, ownership feeds): a long wait is made of short
native waits, so Ctrl-C, handled between them, still works; and each native wait runs inside its
queue's :class:`NativeHandle`, so closing the queue on another thread ends the wait (within one
slice) before the queue is freed."""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable, Iterator, Optional, TypeVar

from .errors import StateError

T = TypeVar("T")

# The longest native wait, in seconds.
SLICE_S = 0.2


class NativeHandle:
    """A native handle whose calls may run while another thread closes it: the calls release the
    GIL, so without this, close() would free the handle under a poll still waiting in it. Calls
    made through :meth:`use` run at once (any number together); :meth:`close` marks the handle
    closing, waits until every such call returned, then frees it; calls starting after that raise
    StateError(``closed_message``)."""

    def __init__(self, handle: Any, free: Callable[[Any], None], closed_message: str) -> None:
        self._handle = handle
        self._free = free
        self._closed_message = closed_message
        self._closing = False
        self._calls = 0
        self._idle = threading.Condition(threading.Lock())

    def get(self) -> Any:
        """The handle, for calls that never run concurrently with close; StateError once closing."""
        if self._closing or self._handle is None:
            raise StateError(self._closed_message, None)
        return self._handle

    def use(self, call: Callable[[Any], T]) -> T:
        """``call(handle)``; the handle is not freed before it returns. StateError once closing."""
        with self._idle:
            handle = self.get()
            self._calls += 1
        try:
            return call(handle)
        finally:
            with self._idle:
                self._calls -= 1
                if self._calls == 0:
                    self._idle.notify_all()

    @property
    def closed(self) -> bool:
        """True from the moment :meth:`close` begins."""
        return self._closing or self._handle is None

    def close(self) -> None:
        """Frees the handle once every call in :meth:`use` returned. Idempotent."""
        with self._idle:
            self._closing = True
            while self._calls:
                self._idle.wait()
            handle, self._handle = self._handle, None
        if handle is not None:
            self._free(handle)


def poll_sliced(poll_once: Callable[[Any, int], Optional[T]], timeout: Optional[float],
                queue: NativeHandle) -> Optional[T]:
    """Calls ``poll_once(handle, ms)`` (a native poll of ``queue`` that waits up to ``ms`` and
    returns None when nothing came) until it returns something, or ``timeout`` seconds passed
    (None: for ever; 0 polls once without waiting); None then. StateError once ``queue`` is
    closing."""
    deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
    while True:
        left = SLICE_S if deadline is None else min(SLICE_S, max(0.0, deadline - time.monotonic()))
        ms = math.ceil(left * 1000)
        got = queue.use(lambda handle: poll_once(handle, ms))
        if got is not None:
            return got
        if deadline is not None and time.monotonic() >= deadline:
            return None


def until_closed(poll: Callable[[Optional[float]], Optional[T]]) -> Iterator[T]:
    """Every item ``poll(None)`` gives, until it raises StateError (the engine, the queue or the
    server it reports on is gone)."""
    while True:
        try:
            got = poll(None)
        except StateError:
            return
        if got is not None:
            yield got
