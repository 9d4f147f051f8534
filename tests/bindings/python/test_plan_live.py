"""`berth plan`, `python3 -m berth.tools what-if` and `berth rules push|show` against a live
leader on a `file` backend directory in this process: plans start from the live assignment, so no
change moves nothing and a real change lists exactly the streams the leader then moves."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

import berth
from berth.tools.__main__ import main

SERVERS = [f"srv-{i}" for i in range(6)]
STREAMS = {f"st-{i:04}": 1.0 + i % 7 for i in range(1500)}
BERTH = os.environ["BERTH_CLI"]  # the berth command (tests/bindings/CMakeLists.txt)


def owners(engine: berth.Engine) -> dict[str, str]:
    with engine.snapshot() as snapshot:
        return {s.id: s.owner for s in snapshot.streams()}


@pytest.fixture
def leader(tmp_path):
    """A settled leader (refreshed until a refresh moves nothing) with 6 servers in zones a, b and
    1,500 streams of tenant acme, and the --set arguments that name its backend."""
    s = {"backend.name": "file", "backend.dir": str(tmp_path), "engine.node_id": "plan-leader",
         "engine.refresh_on_change": "false", "engine.intake_refresh_delay": "0", "engine.refresh_interval": "1h",
         "appraiser.name": "reported", "policy.name": "sticky"}
    with berth.Engine(s) as engine:
        assert engine.wait_leader(10.0)
        for i, sid in enumerate(SERVERS):
            engine.join(sid, 1.0, f"zone={'ab'[i % 2]}")
        for name, load in STREAMS.items():
            engine.add_stream(name, "acme", load)
        engine.flush()
        engine.refresh()
        for _ in range(30):
            before = owners(engine)
            engine.refresh()
            if owners(engine) == before:
                break
        else:
            pytest.fail("the live assignment never settled")
        yield engine, ["--set", "backend.name=file", "--set", f"backend.dir={tmp_path}", "--timeout", "10"]


def plan(*args: str) -> dict:
    r = subprocess.run([BERTH, "plan", "--json", *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_no_change_moves_nothing(leader, capsys):
    engine, where = leader
    data = plan(*where)
    assert data["streams"] == len(STREAMS)
    assert data["moved_streams"] == 0 and data["moves"] == []
    assert main(["what-if", "--json", *where]) == 0
    whatif = json.loads(capsys.readouterr().out)
    assert whatif["moved_streams"] == 0 and whatif["moves"] == []
    assert whatif["baseline_differs"] == 0


@pytest.mark.parametrize("change", [["--remove-server", "srv-2"], ["--add-server", "srv-9=1"]])
def test_a_real_change_lists_exactly_the_streams_the_leader_then_moves(leader, capsys, change):
    engine, where = leader
    planned = {m["stream"]: (m["from"], m["to"]) for m in plan(*where, *change)["moves"]}
    assert main(["what-if", "--json", "--limit", "100000", *where, *change]) == 0
    whatif = json.loads(capsys.readouterr().out)
    assert {m["stream"]: (m["from"], m["to"]) for m in whatif["moves"]} == planned
    assert planned, "the change moves nothing"

    before = owners(engine)
    if change[0] == "--remove-server":
        engine.leave(change[1])
    else:
        engine.join(change[1].split("=")[0], 1.0)
    engine.refresh()
    after = owners(engine)
    moved = {sid: (before[sid], after[sid]) for sid in after if after[sid] != before[sid]}
    assert moved == planned


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([BERTH, *args], capture_output=True, text=True, timeout=timeout)


def push_and_refresh(engine: berth.Engine, args: list[str]) -> subprocess.CompletedProcess:
    """Runs `berth rules push` while the leader refreshes, as its periodic refresh would."""
    p = subprocess.Popen([BERTH, "rules", "push", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while p.poll() is None and time.monotonic() < deadline:
        engine.refresh()
        time.sleep(0.05)
    out, err = p.communicate(timeout=10)
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def test_rules_push_checks_shows_then_applies_and_show_prints_them(leader, tmp_path):
    engine, where = leader
    script = tmp_path / "zone-a.lua"
    script.write_text("tenant('acme', function(t) t:require { zone = 'a' } end)\n")

    dry = run("rules", "push", str(script), *where)
    assert dry.returncode == 0, dry.stderr
    assert "replaces no shared rules" in dry.stdout and "dry run: nothing pushed" in dry.stdout
    assert json.loads(run("rules", "show", "--json", *where).stdout)["version"] == 0

    pushed = push_and_refresh(engine, [str(script), "--yes", *where])
    assert pushed.returncode == 0, pushed.stderr
    assert "in force: shared rules version 1" in pushed.stdout
    shown = json.loads(run("rules", "show", "--json", *where).stdout)
    assert shown["version"] == 1 and shown["script"] == script.read_text()
    assert shown["rules_hash"] == shown["hash"], "the snapshot was not placed with the shared rules"
    assert {o for o in owners(engine).values()} <= {"srv-0", "srv-2", "srv-4"}
    # The plan of no change applies the rules in force: nothing moves.
    assert plan(*where)["moved_streams"] == 0

    bad = tmp_path / "bad.lua"
    bad.write_text("tenant('acme', function(t) t:require('srv-nope') end)\n")
    refused = run("rules", "push", str(bad), "--yes", *where)
    assert refused.returncode == 1
    assert "srv-nope" in refused.stdout and "nothing pushed" in refused.stdout
    engine.refresh()
    assert json.loads(run("rules", "show", "--json", *where).stdout)["version"] == 1
