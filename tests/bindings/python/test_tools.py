"""python3 -m berth.tools: show, chart and what-if against a `file` backend directory that a
leader in this process published to."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys

import pytest

import berth
from berth.tools.__main__ import main

SERVERS = {"srv-0": 1.0, "srv-1": 1.0, "srv-2": 1.0, "srv-3": 2.0}
STREAMS = {f"st-{i}": 1.0 + i % 7 for i in range(300)}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A leader on a file directory with 4 servers and 300 streams, published once."""
    directory = tmp_path_factory.mktemp("tools")
    s = {"backend.name": "file", "backend.dir": str(directory), "engine.node_id": "tools-leader",
         "engine.refresh_on_change": "false", "engine.intake_refresh_delay": "0", "appraiser.name": "reported"}
    with berth.Engine(s) as engine:
        for sid, capacity in SERVERS.items():
            engine.join(sid, capacity)
        for name, load in STREAMS.items():
            engine.add_stream(name, "", load)
        engine.flush()
        assert engine.wait_leader(10.0)
        engine.refresh()
        yield directory, engine


def source(directory) -> list[str]:
    return ["--set", "backend.name=file", "--set", f"backend.dir={directory}", "--timeout", "10"]


def run_json(capsys, *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_show_prints_a_table_of_the_current_snapshot(published, capsys):
    directory, engine = published
    assert main(["show", *source(directory)]) == 0
    out = capsys.readouterr().out
    assert f"version {engine.status().version}" in out and "policy sticky" in out
    for sid in SERVERS:
        assert sid in out
    assert "4 servers, 300 streams" in out
    assert "max/LB" in out and "lower bound" in out


def test_show_json_has_loads_counts_and_the_lower_bound(published, capsys):
    directory, engine = published
    data = run_json(capsys, "show", "--json", *source(directory))
    assert data["version"] == engine.status().version
    assert data["streams"] == len(STREAMS)
    assert {s["id"]: s["capacity"] for s in data["servers"]} == SERVERS
    assert sum(s["streams"] for s in data["servers"]) == len(STREAMS)
    assert sum(s["load"] for s in data["servers"]) == pytest.approx(sum(STREAMS.values()))
    total = sum(STREAMS.values()) / sum(SERVERS.values())
    assert data["lower_bound"] == pytest.approx(max(total, 7.0 / 2.0))
    assert data["max_over_lb"] == pytest.approx(data["max_load_per_capacity"] / data["lower_bound"])
    assert 1.0 <= data["max_over_lb"] < 1.1


def test_chart_writes_a_real_png(published, tmp_path, capsys):
    directory, _ = published
    path = tmp_path / "load.png"
    assert main(["chart", "-o", str(path), *source(directory)]) == 0
    assert "wrote" in capsys.readouterr().out
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 400 and height >= 300
    assert len(data) > 10_000, "a chart with bars, labels and a title, not an empty image"
    assert data.endswith(b"IEND\xaeB`\x82")


def test_what_if_adding_a_server_moves_only_onto_it_about_its_fair_share(published, capsys):
    directory, _ = published
    data = run_json(capsys, "what-if", "--json", "--add-server", "srv-9=1", "--limit", "1000", *source(directory))
    # The starting point is placed afresh; the live snapshot also carries its history (the
    # leader's first refresh may have seen only part of the streams), so they may differ.
    assert 0 <= data["baseline_differs"] <= len(STREAMS)
    assert data["moved_streams"] == len(data["moves"]) > 0
    # Sticky moves what the new server takes, and at most a stream or two between the others to
    # stay inside its band (300 streams of integer loads leave little slack).
    onto_new = sum(m["load"] for m in data["moves"] if m["to"] == "srv-9")
    elsewhere = [m for m in data["moves"] if m["to"] != "srv-9"]
    assert len(elsewhere) <= 2, elsewhere
    assert onto_new >= 0.95 * sum(m["load"] for m in data["moves"])
    fair = 1.0 / (sum(SERVERS.values()) + 1.0)
    assert data["moved_load_fraction"] == pytest.approx(fair, abs=0.05)
    assert len(data["after"]["servers"]) == 5
    assert data["after"]["max_over_lb"] < 1.1


def test_what_if_removing_a_server_moves_only_its_streams(published, capsys):
    directory, _ = published
    data = run_json(capsys, "what-if", "--json", "--remove-server", "srv-1", "--limit", "1000", *source(directory))
    held = {s["id"]: s["streams"] for s in data["before"]["servers"]}["srv-1"]
    assert data["moved_streams"] == held > 0
    assert {m["from"] for m in data["moves"]} == {"srv-1"}
    assert "srv-1" not in {s["id"] for s in data["after"]["servers"]}


def test_what_if_another_policy_and_the_text_report(published, capsys):
    directory, _ = published
    assert main(["what-if", "--policy", "least_load", "--limit", "3", *source(directory)]) == 0
    out = capsys.readouterr().out
    assert "policy sticky -> least_load" in out
    assert "moved " in out and "max/LB" in out


def test_what_if_rejects_an_unknown_server(published, capsys):
    directory, _ = published
    assert main(["what-if", "--remove-server", "nope", *source(directory)]) == 2
    assert "nope" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["what-if", "--add-server", "x=-1", *source(directory)])


def test_show_without_a_snapshot_fails_clearly(tmp_path, capsys):
    assert main(["show", "--set", "backend.name=file", "--set", f"backend.dir={tmp_path}", "--timeout", "0.2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("berth.tools show:") and "version" in err


def test_runs_as_a_module(published):
    directory, _ = published
    env = dict(os.environ)
    r = subprocess.run([sys.executable, "-m", "berth.tools", "show", *source(directory)], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "300 streams" in r.stdout
