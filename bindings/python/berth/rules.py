"""Rules every node shares (docs/catalogue.md, "Rules every node shares"): tenant rules stored in
the backend, versioned, so whichever node leads applies the same rules.

    pushed = engine.push_rules(open("rules.lua").read())
    version = engine.wait_rules(pushed.hash, timeout=5.0)
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _berth_swig as _c
from ._checks import timeout_ms
from .errors import InvalidArgumentError


@dataclass(frozen=True)
class Rules:
    version: int   # 0 (and an empty script) when none was pushed
    hash: int
    script: str


@dataclass(frozen=True)
class PushedRules:
    hash: int              # the script's, for wait_rules
    replaces_version: int  # the shared rules version in force when pushed (0: none)


def _script(script: object) -> str | bytes:
    if not isinstance(script, (str, bytes)):
        raise TypeError(f"a rules script must be str or bytes, not {type(script).__name__}")
    if not script:
        raise InvalidArgumentError("the rules script is empty")
    return script


class EngineRules:
    """Mixed into :class:`berth.Engine`."""

    def _h(self):  # pragma: no cover - provided by Engine
        raise NotImplementedError

    def push_rules(self, script: str | bytes) -> PushedRules:
        """Checks ``script`` against the served snapshot and submits it to the leader, which checks
        it again. ConfigError if it does not compile or fails on this cluster (every problem
        listed); the rules in force stay."""
        replaces, digest = _c.berth_engine_rules_push(self._h(), _script(script))
        return PushedRules(digest, replaces)

    def wait_rules(self, rules_hash: int, timeout: float = 5.0) -> int:
        """Waits until this engine serves the rules of ``rules_hash``; their version.
        TimeoutError when the leader refused them or has not refreshed in time."""
        if isinstance(rules_hash, bool) or not isinstance(rules_hash, int):
            raise TypeError(f"the rules hash must be an int, not {type(rules_hash).__name__}")
        return _c.berth_engine_rules_wait(self._h(), rules_hash, timeout_ms(timeout))


class SnapshotRules:
    """Mixed into :class:`berth.Snapshot`."""

    def _h(self):  # pragma: no cover - provided by Snapshot
        raise NotImplementedError

    def rules(self) -> Rules:
        """The shared rules this snapshot carries."""
        got = _c.berth_snapshot_rules(self._h())
        version, digest = got[0], got[1]
        script = got[2] if len(got) > 2 else ""
        return Rules(version, digest, script)
