"""berth.metrics_text() and berth.health(): every engine of the process in one text, and the
/healthz answer (C API 1.8). The Java twin is tests/bindings/java/org/berth/ProcessMetricsTest.java."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import berth
from test_berth import fresh_cluster, settings


@pytest.fixture
def two_engines():
    """Two engines of one cluster, the first leading: their node ids."""
    cluster = fresh_cluster("process-metrics")
    a_node, b_node = f"{cluster}-a", f"{cluster}-b"
    with berth.Engine(settings(cluster, a_node)) as a, berth.Engine(settings(cluster, b_node)):
        assert a.wait_leader(30)
        yield a_node, b_node


def test_text_has_each_family_once_and_both_engines(two_engines):
    a_node, b_node = two_engines
    text = berth.metrics_text()
    assert f'berth_snapshot_version{{node="{a_node}"}}' in text, text
    assert f'berth_snapshot_version{{node="{b_node}"}}' in text, text
    assert f'berth_is_leader{{node="{a_node}"}} 1\n' in text, text
    assert f'berth_is_leader{{node="{b_node}"}} 0\n' in text, text
    assert text.count("# HELP berth_snapshot_version ") == 1
    assert text.count("berth_build_info{") == 1


def test_a_closed_engine_leaves_the_text():
    cluster = fresh_cluster("process-metrics-closed")
    with berth.Engine(settings(cluster, f"{cluster}-a")):
        assert f'node="{cluster}-a"' in berth.metrics_text()
    assert f'node="{cluster}-a"' not in berth.metrics_text(), "a closed engine is still exported"


def test_health_names_each_engine_with_its_role(two_engines):
    a_node, b_node = two_engines
    health = berth.health()
    ours = {e["node"]: e for e in health.engines if e["node"] in (a_node, b_node)}
    assert set(ours) == {a_node, b_node}, health.body
    assert ours[a_node]["leader"] is True and ours[b_node]["leader"] is False, health.body
    assert not ours[a_node]["degraded"] and not ours[b_node]["degraded"], health.body
    if not any(e["degraded"] for e in health.engines):  # engines of other tests may be open
        assert (health.status_code, health.status) == (200, "ok"), health.body


def test_health_without_an_engine_is_503():
    # A process of its own, so that no engine of another test is open in it.
    code = ("import berth; h = berth.health(); "
            "print(h.status_code, h.status, len(h.engines))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["503", "no", "engine", "0"], result.stdout
