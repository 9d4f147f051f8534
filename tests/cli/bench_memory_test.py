#!/usr/bin/env python3
"""`berth bench --json` on a small cluster: resident memory per stream broken down for the leader
and a follower, and the follower's memory over `--delta-installs` installs."""
import json
import subprocess
import sys

berth = sys.argv[1]
out = subprocess.run(
    [berth, "bench", "--streams", "20000", "--servers", "40", "--repetitions", "1", "--delta-installs", "20", "--json"],
    check=True, capture_output=True, text=True, timeout=300).stdout
result = json.loads(out)
memory = result["memory_per_stream"]
failures = []
def check(cond, what):
    if not cond:
        failures.append(what)

check(result.get("return_freed_memory") is True, f"the engines return freed memory by default: {result.get('return_freed_memory')!r}")

parts = {"table", "ids", "columns", "checkpoint", "published", "other", "resident"}
for node in ("leader", "follower"):
    m = memory.get(node, {})
    check(parts <= m.keys(), f"{node} lacks {parts - m.keys()}")
    if parts <= m.keys():
        # Ids of ~12 bytes, a 32-byte slot per stream at ~70% load, and at least the 4-byte owner.
        check(m["ids"] >= 12 and m["table"] >= 32 and m["columns"] >= 4, f"{node}: parts too small: {m}")
        check(m["checkpoint"] > 0, f"{node}: no checkpoint counted: {m}")
leader, follower = memory.get("leader", {}), memory.get("follower", {})
check(leader.get("table") == follower.get("table"), f"tables differ for the same streams: {leader} {follower}")
check(leader.get("published", 0) > 0, f"the leader's in-process published bytes not counted: {leader}")
check(follower.get("published") == 0, f"a follower keeps no published bytes once it serves: {follower}")

installs = memory.get("delta_installs", {})
check(installs.get("installs") == 20, f"installs: {installs}")
check(0 < installs.get("deltas", 0) <= 20, f"deltas: {installs}")
check(installs.get("held_before", 0) > 0 and installs.get("held_after", 0) > 0, f"held bytes: {installs}")
check(installs.get("held_peak", 0) >= max(installs.get("held_before", 0), installs.get("held_after", 0)),
      f"the most held is below a reading of it: {installs}")
check(installs.get("resident_before", 0) > 0 and installs.get("resident_after", 0) > 0, f"resident: {installs}")
# A follower that kept old versions alive would grow by a version's bytes an install; all 20
# installs together may not grow the process by as much as what the follower holds once.
growth = installs.get("resident_after", 0) - installs.get("resident_before", 0)
check(growth < installs.get("held_after", 0), f"resident grew {growth} bytes over the installs: {installs}")

# --keep-freed-memory runs the engines with engine.return_freed_memory = false, and says so.
kept = subprocess.run([berth, "bench", "--streams", "2000", "--servers", "4", "--repetitions", "1", "--delta-installs", "0",
                       "--keep-freed-memory", "--json"], capture_output=True, text=True, timeout=300)
check(kept.returncode == 0 and json.loads(kept.stdout).get("return_freed_memory") is False,
      f"--keep-freed-memory: rc={kept.returncode} {kept.stdout[:200]!r} {kept.stderr!r}")

# One server: nothing can move, so the delta figures are absent (n/a), not an error at the end.
one = [berth, "bench", "--streams", "2000", "--servers", "1", "--repetitions", "1", "--delta-installs", "3"]
r = subprocess.run(one, capture_output=True, text=True, timeout=300)
check(r.returncode == 0 and r.stdout.count("n/a") == 2, f"one server: rc={r.returncode} {r.stdout!r} {r.stderr!r}")
r = subprocess.run(one + ["--json"], capture_output=True, text=True, timeout=300)
check(r.returncode == 0, f"one server, --json: rc={r.returncode} {r.stderr!r}")
if r.returncode == 0:
    installs = json.loads(r.stdout)["memory_per_stream"].get("delta_installs", "missing")
    check(installs is None, f"one server: delta installs should be null: {installs}")

for f in failures:
    print("FAIL:", f)
print(f"memory breakdown checked, {len(failures)} failures")
sys.exit(1 if failures else 0)
