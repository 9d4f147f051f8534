#!/usr/bin/env python3
"""`berth bench --policies --json` end to end, on a small cluster: the keys scripts rely on, and
the comparison the report exists to show (sticky moves about a fair share on a join; a full
recompute moves nearly everything)."""
import json
import subprocess
import sys

berth = sys.argv[1]
out = subprocess.run(
    [berth, "bench", "--policies", "--streams", "20000", "--servers", "40", "--repetitions", "1", "--json",
     "--policy-list", "least_load,sticky", "--workloads", "lognormal"],
    check=True, capture_output=True, text=True, timeout=300).stdout
rows = {r["policy"]: r for r in (json.loads(line) for line in out.splitlines() if line.strip())}
keys = {"policy", "workload", "max_over_lb", "moved_streams_join", "moved_load_join", "moved_streams_leave",
        "moved_streams_drift", "max_over_lb_after_drift", "refresh_ms", "state_bytes_per_stream"}
failures = []
def check(cond, what):
    if not cond:
        failures.append(what)

check(set(rows) == {"least_load", "sticky"}, f"policies reported: {sorted(rows)}")
for name, r in rows.items():
    check(keys <= r.keys(), f"{name} lacks {keys - r.keys()}")
    check(1.0 - 1e-9 <= r["max_over_lb"] < 1.1, f"{name}: max/LB {r['max_over_lb']}")
    check(r["refresh_ms"] > 0 and r["state_bytes_per_stream"] > 0, f"{name}: time or state missing")
fair = 1 / 41
sticky, full = rows.get("sticky", {}), rows.get("least_load", {})
if sticky and full:
    check(sticky["moved_load_join"] <= 1.2 * fair, f"sticky moved {sticky['moved_load_join']:.4f} of the load on a join")
    check(full["moved_streams_join"] > 0.5, f"least_load moved only {full['moved_streams_join']:.4f} on a join")
    check(sticky["moved_streams_leave"] <= 1.05 / 40 + 1e-9, f"sticky leave moved {sticky['moved_streams_leave']:.4f}")
    check(sticky["moved_streams_drift"] <= 0.02, f"sticky drift moved {sticky['moved_streams_drift']:.4f}")

bad = subprocess.run([berth, "bench", "--policies", "--workloads", "gaussian"], capture_output=True, text=True, timeout=60)
check(bad.returncode == 2 and "gaussian" in bad.stderr, f"bad workload: rc={bad.returncode} {bad.stderr!r}")

for f in failures:
    print("FAIL:", f)
print(f"{len(rows)} policies checked, {len(failures)} failures")
sys.exit(1 if failures else 0)
