"""Argument checks made before a call crosses the C API, so a wrong type or an empty id fails with
a message naming the argument, raised as the exception the C API would raise for it."""

from __future__ import annotations

import math
from typing import Union

from .errors import InvalidArgumentError

StreamId = Union[str, bytes]


def server_id(value: object, what: str = "server id") -> str:
    """A server id: a non-empty str."""
    if not isinstance(value, str):
        raise TypeError(f"the {what} must be a str, not {type(value).__name__}")
    if not value:
        raise InvalidArgumentError(f"the {what} is empty")
    return value


def stream_id(value: object) -> StreamId:
    """A stream id (non-empty str or bytes), as the C API takes it: a str decoded with surrogate
    escapes goes back to its exact bytes."""
    if not isinstance(value, (str, bytes)):
        raise TypeError(f"a stream id must be str or bytes, not {type(value).__name__}")
    if not value:
        raise InvalidArgumentError("the stream id is empty")
    if isinstance(value, str) and not value.isascii():
        return value.encode("utf-8", "surrogateescape")
    return value


def number(value: object, what: str) -> float:
    """A finite number (bool is refused: True is no capacity)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"the {what} must be a number, not {type(value).__name__}")
    out = float(value)
    if not math.isfinite(out):
        raise InvalidArgumentError(f"the {what} is not finite ({out})")
    return out


def timeout_ms(timeout: object, what: str = "timeout") -> int:
    """Seconds as whole milliseconds for a uint32_t, clamped to [0, 2^32 - 1]."""
    seconds = number(timeout, what)
    return min(max(0, math.ceil(seconds * 1000)), 0xFFFFFFFF)
