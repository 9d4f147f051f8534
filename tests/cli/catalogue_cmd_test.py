#!/usr/bin/env python3
"""`berth locate` and `berth stream migrate|delete` against a file backend a simulated cluster
left: locate agrees with itself in table and JSON, a dry run checks as the leader would and sends
nothing, and a bad request is refused naming what is wrong."""
import json
import subprocess
import sys
import tempfile

berth = sys.argv[1]
failures = []
def check(cond, what):
    if not cond:
        failures.append(what)

def run(*args, ok=True):
    r = subprocess.run([berth, *args], capture_output=True, text=True, timeout=60)
    if ok and r.returncode != 0:
        failures.append(f"{' '.join(args)}: rc={r.returncode} stderr={r.stderr!r}")
    return r

with tempfile.TemporaryDirectory() as state:
    subprocess.run([berth, "simulate", "--backend", "file", "--set", f"backend.dir={state}", "--servers", "4",
                    "--streams", "200", "--nodes", "1", "--json"], check=True, capture_output=True, timeout=120)
    where = ["--set", "backend.name=file", "--set", f"backend.dir={state}", "--timeout", "5"]
    shown = json.loads(run("show", *where, "--json").stdout)

    at = json.loads(run("locate", "stream-000042", *where, "--json").stdout)
    check(at["known"] is True, f"stream-000042 is not in the assignment: {at}")
    check(at["status"] == "active", f"status {at['status']}")
    check(at["read_locations"] == [at["owner"]], f"read locations {at['read_locations']} of an active stream")
    check(at["version"] == shown["version"], "locate and show read different versions")
    check(at["policy"] == shown["policy"], "locate names another policy than show")
    table = run("locate", "stream-000042", *where).stdout
    check(f"write location  {at['owner']}" in table, f"the table lacks the owner: {table!r}")

    other = next(s["id"] for s in shown["servers"] if s["id"] != at["owner"])
    dry = run("stream", "migrate", "stream-000042", "--to", other, *where)
    check("dry run" in dry.stdout and other in dry.stdout, f"dry run output {dry.stdout!r}")
    dry = run("stream", "delete", "stream-000042", *where)
    check("dry run" in dry.stdout, f"dry run output {dry.stdout!r}")
    again = json.loads(run("show", *where, "--json").stdout)
    check(again["version"] == shown["version"] and again["streams"] == shown["streams"], "a dry run changed the cluster")

    bad = run("stream", "migrate", "stream-000042", "--to", "nowhere", *where, ok=False)
    check(bad.returncode == 3 and "destination server 'nowhere'" in bad.stderr, f"unknown destination: {bad.stderr!r}")
    bad = run("stream", "migrate", "stream-000042", "--to", at["owner"], "--apply", *where, ok=False)
    check(bad.returncode == 3 and "written at" in bad.stderr, f"migrate to its owner: {bad.stderr!r}")
    bad = run("stream", "delete", "no-such-stream", *where, ok=False)
    check(bad.returncode == 3 and "not in version" in bad.stderr, f"delete of an unknown stream: {bad.stderr!r}")

for f in failures:
    print("FAIL:", f)
print(f"berth locate / stream: {len(failures)} failures")
sys.exit(1 if failures else 0)
