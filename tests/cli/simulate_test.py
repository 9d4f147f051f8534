#!/usr/bin/env python3
"""`berth simulate --json` end to end: the real CLI, its plugins, several engine nodes.

Checks the keys scripts rely on, that every step converged with every node agreeing, and the
figures that follow from the scenario (servers joined and left, new streams recorded once).
"""
import json
import subprocess
import sys

berth = sys.argv[1]
out = subprocess.run(
    [berth, "simulate", "--servers", "12", "--streams", "3000", "--nodes", "3", "--dist", "zipf",
     "--new-streams", "200", "--json"],
    check=True, capture_output=True, text=True, timeout=120).stdout
rows = [json.loads(line) for line in out.splitlines() if line.strip()]
required = {"step", "event", "version", "leader", "servers", "streams", "max_over_lb",
            "moved_streams", "moved_load_fraction", "refresh_ms",
            "handoffs_started", "handoffs_completed", "handoffs_stalled", "unowned_stream_seconds"}
failures = []
def check(cond, what):
    if not cond:
        failures.append(what)

check(len(rows) >= 7, f"expected at least 7 steps, got {len(rows)}")
for r in rows:
    check(required <= r.keys(), f"step {r.get('step')} lacks {required - r.keys()}")
    check(r["agree"] is True, f"nodes disagreed at step {r['step']} ({r['event']})")
    check(r["max_over_lb"] >= 1.0 - 1e-9, f"max/LB below 1 at step {r['step']}")
    check(0.0 <= r["moved_load_fraction"] <= 1.0, f"moved load fraction out of range at {r['step']}")
versions = [r["version"] for r in rows]
check(versions == sorted(versions) and len(set(versions)) == len(versions), f"versions not increasing: {versions}")
by_event = {r["event"].split()[0]: r for r in rows}
check(rows[0]["servers"] == 12 and rows[0]["streams"] == 3000, f"initial step: {rows[0]}")
check(rows[0]["max_over_lb"] < 1.5, f"initial placement badly balanced: {rows[0]['max_over_lb']}")
check(by_event["remove"]["servers"] == 13, f"after two joins and a leave: {by_event['remove']['servers']} servers")
check(by_event["200"]["streams"] == 3200, f"new streams recorded once each: {by_event['200']['streams']}")
# Ownership: every hand-off a step started completed within it, none stalled, and a join's moves
# are all hand-offs (every moved stream had a live holder that released it).
for r in rows:
    check(r["handoffs_completed"] == r["handoffs_started"],
          f"step {r['step']} ({r['event']}): {r['handoffs_started']} hand-offs started, {r['handoffs_completed']} completed")
    check(r["handoffs_stalled"] == 0, f"step {r['step']}: {r['handoffs_stalled']} hand-offs stalled")
    check(r["unowned_stream_seconds"] >= 0, f"step {r['step']}: negative unowned stream-seconds")
for r in rows:
    if r["event"].startswith("add "):
        check(r["moved_streams"] > 0 and r["handoffs_started"] == r["moved_streams"],
              f"{r['event']}: moved {r['moved_streams']} streams but started {r['handoffs_started']} hand-offs")
failover = rows[-1]
check(failover["event"] == "leader failover", f"last step is {failover['event']}")
check(failover["leader"] != rows[-2]["leader"], "failover kept the same leader")
check(failover["epoch"] > rows[-2]["epoch"], "failover did not raise the epoch")

bad = subprocess.run([berth, "simulate", "--dist", "gaussian"], capture_output=True, text=True, timeout=60)
check(bad.returncode == 2 and "gaussian" in bad.stderr, f"bad --dist: rc={bad.returncode} stderr={bad.stderr!r}")
bad = subprocess.run([berth, "simulate", "--policy", "nonesuch"], capture_output=True, text=True, timeout=60)
check(bad.returncode == 3 and "nonesuch" in bad.stderr, f"bad --policy: rc={bad.returncode} stderr={bad.stderr!r}")

bad = subprocess.run([berth, "simulate", "--set", "policy.headroom=lots"], capture_output=True, text=True, timeout=60)
check(bad.returncode == 2 and "headroom" in bad.stderr and "--set" in bad.stderr,
      f"bad --set value: rc={bad.returncode} stderr={bad.stderr!r}")
bad = subprocess.run([berth, "simulate", "--set", "engine.refresh_intervall=5s"], capture_output=True, text=True, timeout=60)
check(bad.returncode == 2 and "refresh_intervall" in bad.stderr, f"unknown key: rc={bad.returncode} stderr={bad.stderr!r}")

for f in failures:
    print("FAIL:", f)
print(f"{len(rows)} steps checked, {len(failures)} failures")
sys.exit(1 if failures else 0)
