#!/usr/bin/env python3
"""`berth rules check` and `berth plan --rules` end to end: the real CLI on its simulated cluster.

Every sample checks clean; a broken script fails with its file, line and tenant named; a plan
moves only the tenant a rule names, and says so per tenant and per server.
"""
import json
import os
import subprocess
import sys
import tempfile

berth, samples = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def run(*args):
    return subprocess.run([berth, *args], capture_output=True, text=True, timeout=120)


small = ["--servers", "9", "--streams", "600", "--tenants", "5"]

for name in sorted(os.listdir(samples)):
    if name.endswith(".lua"):
        r = run("rules", "check", os.path.join(samples, name), *small)
        check(r.returncode == 0 and "OK" in r.stdout, f"sample {name}: rc={r.returncode}\n{r.stdout}{r.stderr}")

r = run("rules", "check", os.path.join(samples, "tenants.lua"), "--json", *small)
check(r.returncode == 0, f"--json check: rc={r.returncode} {r.stderr}")
j = json.loads(r.stdout)
check(j["ok"] is True and j["problems"] == [] and j["classes"] > 0 and j["streams"] == 600, f"check json: {j}")

with tempfile.TemporaryDirectory() as tmp:
    def script(name, text):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    bad = script("syntax.lua", "tenant('acme', function(t)\n  t:allow{zone = 'a'\nend)\n")
    r = run("rules", "check", bad, *small)
    check(r.returncode == 1 and "syntax.lua:3" in r.stdout, f"syntax error: rc={r.returncode} {r.stdout!r}")

    bad = script("label.lua", "tenant('acme', function(t)\n  t:allow{zonee = 'a'}\nend)\n")
    r = run("rules", "check", bad, *small)
    check(r.returncode == 1 and "unknown label 'zonee'" in r.stdout and "label.lua:2" in r.stdout
          and "tenant 'acme'" in r.stdout, f"unknown label: rc={r.returncode} {r.stdout!r}")

    loop = script("loop.lua", "tenant('*', function(t)\n  while true do end\nend)\n")
    r = run("rules", "check", loop, "--instruction-limit", "100000", *small)
    check(r.returncode == 1 and "instruction limit" in r.stdout and "loop.lua:2" in r.stdout,
          f"loop: rc={r.returncode} {r.stdout!r}")

    r = run("rules", "check", os.path.join(tmp, "missing.lua"), *small)
    check(r.returncode == 1 and "missing.lua" in r.stdout + r.stderr, f"missing file: rc={r.returncode}")

    acme = script("acme.lua", "tenant('acme', function(t) t:allow{zone = 'a'} end)\n")
    r = run("plan", "--rules", acme, "--json", "--set", "policy.band=0.5", *small)
    check(r.returncode == 0, f"plan: rc={r.returncode} {r.stdout} {r.stderr}")
    plan = json.loads(r.stdout)
    check(list(plan["tenants"]) == ["acme"], f"plan moves only acme: {plan['tenants']}")
    moved = plan["tenants"].get("acme", {}).get("moved_streams", 0)
    check(moved > 0 and moved == plan["moved_streams"], f"plan totals: {plan}")
    zone_a = {f"server-{i:02}" for i in range(0, 9, 3)}
    for server, flow in plan["servers"].items():
        if flow["streams_in"] > 0:
            check(server in zone_a, f"{server} outside zone a receives streams")
    check(sum(f["streams_in"] for f in plan["servers"].values()) == moved, "streams in = streams out")
    check(plan["violations"] == 0, f"violations: {plan['violations']}")

    r = run("plan", "--rules", acme, "--set", "policy.band=0.5", *small)
    check(r.returncode == 0 and "would move" in r.stdout and "acme" in r.stdout and "nothing is applied" in r.stdout,
          f"plan text: {r.stdout!r}")

    r = run("plan", "--rules", bad, *small)
    check(r.returncode == 1, f"plan with a broken script: rc={r.returncode}")

for f in failures:
    print("FAIL:", f)
print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
