#!/usr/bin/env python3
"""`berth servers` and `berth server add|set|drain|seal|remove` end to end: a leading engine
(libberth.so through ctypes) serves a `file` backend directory; separate `berth` processes list
its servers and change them, dry run first, then with --apply."""
import ctypes
import json
import subprocess
import sys
import tempfile
import time

berth, libberth = sys.argv[1], sys.argv[2]
lib = ctypes.CDLL(libberth)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def ok(rc, what):
    if rc != 0:
        raise SystemExit(f"FAIL: {what}: code {rc}")


def leader(state):
    opts = ctypes.c_void_p()
    ok(lib.berth_options_new(ctypes.byref(opts), None), "berth_options_new")
    for k, v in [("backend.name", "file"), ("backend.dir", state), ("engine.node_id", "leader"),
                 ("engine.refresh_interval", "300ms"), ("engine.intake_refresh_delay", "20ms")]:
        ok(lib.berth_options_set(opts, k.encode(), v.encode(), None), f"set {k}")
    engine = ctypes.c_void_p()
    ok(lib.berth_engine_open(opts, ctypes.byref(engine), None), "berth_engine_open")
    lib.berth_options_free(opts)
    for s in ["s1", "s2", "s3"]:
        ok(lib.berth_engine_join(engine, s.encode(), ctypes.c_double(1.0), None), f"join {s}")
    for i in range(60):
        sid = f"stream-{i}".encode()
        ok(lib.berth_engine_add_stream(engine, sid, ctypes.c_size_t(len(sid)), b"", ctypes.c_double(1.0), None), "add")
    ok(lib.berth_engine_flush(engine, None), "flush")
    deadline = time.time() + 20
    while time.time() < deadline and lib.berth_engine_refresh(engine, None) != 0:
        time.sleep(0.05)
    return engine


def run(*args, timeout=60):
    return subprocess.run([berth, *args], capture_output=True, text=True, timeout=timeout)


with tempfile.TemporaryDirectory() as state:
    engine = leader(state)
    where = ["--set", "backend.name=file", "--set", f"backend.dir={state}"]

    def servers():
        r = run("servers", *where, "--json")
        check(r.returncode == 0, f"servers --json: rc={r.returncode} {r.stderr!r}")
        return {s["id"]: s for s in json.loads(r.stdout)["servers"]}

    listed = servers()
    check(sorted(listed) == ["s1", "s2", "s3"], f"servers listed: {sorted(listed)}")
    check(all(s["origin"] == "member" and s["state"] == "up" for s in listed.values()), f"members up: {listed}")
    check(sum(s["streams"] for s in listed.values()) == 60, "the listed streams add up")

    dry = run("server", "drain", "s2", *where)
    check(dry.returncode == 0, f"dry drain rc={dry.returncode} {dry.stderr!r}")
    check("state: (member's) -> draining" in dry.stdout and "dry run" in dry.stdout, f"dry drain prints: {dry.stdout!r}")
    check(servers()["s2"]["state"] == "up", "a dry run changes nothing")

    applied = run("server", "drain", "s2", "--apply", "--timeout", "20", *where)
    check(applied.returncode == 0 and "applied: version" in applied.stdout,
          f"drain --apply: rc={applied.returncode} out={applied.stdout!r} err={applied.stderr!r}")
    after = servers()
    check(after["s2"]["state"] == "draining", f"s2 after the drain: {after['s2']}")
    check(after["s2"]["streams"] == 0, f"a draining server owns nothing: {after['s2']}")

    added = run("server", "add", "storage-x", "--weight", "3", "--labels", "zone=z", "--yes", "--timeout", "20", *where)
    check(added.returncode == 0, f"add: rc={added.returncode} {added.stdout!r} {added.stderr!r}")
    x = servers().get("storage-x")
    check(x is not None and x["origin"] == "registered" and x["weight"] == 3 and x["labels"] == "zone=z",
          f"registered server: {x}")
    table = run("servers", *where)
    check(table.returncode == 0 and "storage-x" in table.stdout and "registered" in table.stdout, f"table: {table.stdout!r}")

    sealed = run("server", "set", "s1", "--state", "read-only", "--weight", "2", "--apply", "--timeout", "20", *where)
    check(sealed.returncode == 0, f"set: rc={sealed.returncode} {sealed.stderr!r}")
    s1 = servers()["s1"]
    check(s1["state"] == "read-only" and s1["weight"] == 2 and s1["origin"] == "member", f"s1 after set: {s1}")

    removed = run("server", "remove", "storage-x", "--apply", "--timeout", "20", *where)
    check(removed.returncode == 0, f"remove: rc={removed.returncode} {removed.stderr!r}")
    check("storage-x" not in servers(), "a removed registered server leaves")

    missing = run("server", "remove", "never-set", "--apply", *where)
    check(missing.returncode == 3 and "no operator entry" in missing.stderr, f"remove unknown: {missing.stderr!r}")
    bad = run("server", "set", "s1", "--weight", "-1", *where)
    check(bad.returncode == 2 and "--weight" in bad.stderr, f"bad weight: rc={bad.returncode} {bad.stderr!r}")
    bad = run("server", "set", "s1", "--state", "sleepy", *where)
    check(bad.returncode == 2 and "--state" in bad.stderr, f"bad state: rc={bad.returncode} {bad.stderr!r}")
    nothing = run("server", "set", "s1", *where)
    check(nothing.returncode == 2 and "nothing to change" in nothing.stderr, f"no option: {nothing.stderr!r}")
    lib.berth_engine_close(engine)

memory = run("servers")
check(memory.returncode == 2 and "memory backend" in memory.stderr, f"memory backend: {memory.stderr!r}")

for f in failures:
    print("FAIL:", f)
print(f"berth servers: {len(failures)} failures")
sys.exit(1 if failures else 0)
