"""The wait shared by the polled queues (events, ownership feeds): a long wait is made of short
native waits, so Ctrl-C, handled between them, still works."""

from __future__ import annotations

import math
import time
from typing import Callable, Iterator, Optional, TypeVar

from .errors import StateError

T = TypeVar("T")

# The longest native wait, in seconds.
SLICE_S = 0.2


def poll_sliced(poll_once: Callable[[int], Optional[T]], timeout: Optional[float]) -> Optional[T]:
    """Calls ``poll_once(ms)`` (a native poll that waits up to ``ms`` and returns None when nothing
    came) until it returns something, or ``timeout`` seconds passed (None: for ever; 0 polls once
    without waiting); None then."""
    deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
    while True:
        left = SLICE_S if deadline is None else min(SLICE_S, max(0.0, deadline - time.monotonic()))
        got = poll_once(math.ceil(left * 1000))
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
