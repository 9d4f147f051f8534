#!/usr/bin/env python3
"""`berth show` end to end: a simulated cluster leaves its state in a `file` backend directory,
and a separate `berth show` process prints what that backend serves."""
import json
import subprocess
import sys
import tempfile

berth = sys.argv[1]
failures = []
def check(cond, what):
    if not cond:
        failures.append(what)

with tempfile.TemporaryDirectory() as state:
    sim = subprocess.run([berth, "simulate", "--backend", "file", "--set", f"backend.dir={state}", "--servers", "6",
                          "--streams", "400", "--new-streams", "50", "--nodes", "2", "--json"],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    last = [json.loads(line) for line in sim.splitlines() if line.strip()][-1]
    where = ["--set", "backend.name=file", "--set", f"backend.dir={state}"]

    shown = json.loads(subprocess.run([berth, "show", *where, "--json"], check=True, capture_output=True, text=True,
                                      timeout=60).stdout)
    check(shown["version"] == last["version"], f"show read version {shown['version']}, simulate ended at {last['version']}")
    check(shown["leader"] == last["leader"], f"leader {shown['leader']} vs {last['leader']}")
    check(shown["streams"] == last["streams"], f"streams {shown['streams']} vs {last['streams']}")
    check(len(shown["servers"]) == last["servers"], f"{len(shown['servers'])} servers shown, {last['servers']} in the cluster")
    check(sum(s["streams"] for s in shown["servers"]) == shown["streams"], "per-server stream counts do not add up")
    check(abs(sum(s["load"] for s in shown["servers"]) - shown["total_load"]) <= 1e-6 * shown["total_load"],
          "per-server loads do not add up to the total")
    check(abs(shown["max_over_lb"] - last["max_over_lb"]) < 1e-9, f"max/LB {shown['max_over_lb']} vs {last['max_over_lb']}")

    table = subprocess.run([berth, "show", *where], check=True, capture_output=True, text=True, timeout=60).stdout
    for s in shown["servers"]:
        check(s["id"] in table, f"the table lacks server {s['id']}")
    check(f"version {last['version']}" in table, "the table does not name the version")

    with tempfile.TemporaryDirectory() as empty:
        bad = subprocess.run([berth, "show", "--set", "backend.name=file", "--set", f"backend.dir={empty}", "--timeout", "1"],
                             capture_output=True, text=True, timeout=60)
        check(bad.returncode == 3 and "version" in bad.stderr, f"empty backend: rc={bad.returncode} stderr={bad.stderr!r}")

bad = subprocess.run([berth, "show"], capture_output=True, text=True, timeout=60)
check(bad.returncode == 2 and "memory backend" in bad.stderr, f"memory backend: rc={bad.returncode} stderr={bad.stderr!r}")

for f in failures:
    print("FAIL:", f)
print(f"berth show: {len(failures)} failures")
sys.exit(1 if failures else 0)
