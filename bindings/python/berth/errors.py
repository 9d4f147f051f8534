"""Exceptions raised by the Berth bindings: one BerthError subclass per host C API error code.

The SWIG layer calls :func:`error_for` when a call fails, so every failure surfaces as one of
these, carrying ``code`` (the ``BERTH_E_*`` value) and the engine's message.
"""

from __future__ import annotations

import builtins

OK = 0
E_INVALID_ARGUMENT = 1
E_NOT_FOUND = 2
E_NO_SERVERS = 3
E_FENCED = 4
E_CONFIG = 5
E_PLUGIN = 6
E_UNAVAILABLE = 7
E_CORRUPT = 8
E_PERMISSION = 9
E_STATE = 10
E_INTERNAL = 11
E_TIMEOUT = 12


class BerthError(Exception):
    """A failed Berth call: ``code`` is the BERTH_E_* value, ``message`` the engine's text."""

    code: int = -1

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code}, message={self.message!r})"


class InvalidArgumentError(BerthError, ValueError):
    """A caller passed something malformed (BERTH_E_INVALID_ARGUMENT)."""
    code = E_INVALID_ARGUMENT


class NotFoundError(BerthError, LookupError):
    """A named thing does not exist, e.g. a plugin file (BERTH_E_NOT_FOUND)."""
    code = E_NOT_FOUND


class NoServersError(BerthError):
    """Placement asked for with no server able to take streams (BERTH_E_NO_SERVERS)."""
    code = E_NO_SERVERS


class FencedError(BerthError):
    """A publish by a leader that has been deposed (BERTH_E_FENCED)."""
    code = E_FENCED


class ConfigError(BerthError):
    """A bad configuration key or value; the message names it (BERTH_E_CONFIG)."""
    code = E_CONFIG


class PluginError(BerthError):
    """A plugin failed to load, was rejected, or misbehaved (BERTH_E_PLUGIN)."""
    code = E_PLUGIN


class UnavailableError(BerthError):
    """The backend cannot be reached; the last snapshot is still served (BERTH_E_UNAVAILABLE)."""
    code = E_UNAVAILABLE


class CorruptError(BerthError):
    """Bytes that do not decode (BERTH_E_CORRUPT)."""
    code = E_CORRUPT


class PermissionError(BerthError, builtins.PermissionError):  # noqa: A001 - mirrors the code name
    """The backend refused the credential (BERTH_E_PERMISSION)."""
    code = E_PERMISSION


class StateError(BerthError):
    """The call does not fit the object's state, e.g. refresh on a follower (BERTH_E_STATE)."""
    code = E_STATE


class InternalError(BerthError):
    """A bug in Berth: an invariant broke (BERTH_E_INTERNAL)."""
    code = E_INTERNAL


class TimeoutError(BerthError, builtins.TimeoutError):  # noqa: A001 - mirrors the code name
    """A wait ran out of time (BERTH_E_TIMEOUT)."""
    code = E_TIMEOUT


_BY_CODE: dict[int, type[BerthError]] = {
    cls.code: cls
    for cls in (InvalidArgumentError, NotFoundError, NoServersError, FencedError, ConfigError,
                PluginError, UnavailableError, CorruptError, PermissionError, StateError,
                InternalError, TimeoutError)
}


def error_for(code: int, message: str) -> BerthError:
    """The exception for a host C API error (called by the SWIG layer)."""
    cls = _BY_CODE.get(code, BerthError)
    return cls(message, code)


__all__ = ["BerthError", "error_for"] + [cls.__name__ for cls in _BY_CODE.values()]
