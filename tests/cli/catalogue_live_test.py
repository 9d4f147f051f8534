#!/usr/bin/env python3
"""`berth stream migrate --apply` and `berth server migrate` end to end against a live leader (an
engine of libberth.so through ctypes, on a `file` backend directory): the migration's version shows
the stream migrating and `berth locate` then reads it from both servers; marking a server for data
migration starts migrations out of it, and --cancel clears the mark."""
import ctypes
import json
import re
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
                 ("policy.name", "sticky"), ("engine.refresh_interval", "300ms"),
                 ("engine.intake_refresh_delay", "20ms")]:
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

    def locate(stream):
        r = run("locate", stream, *where, "--json")
        check(r.returncode == 0, f"locate {stream}: rc={r.returncode} {r.stderr!r}")
        return json.loads(r.stdout) if r.returncode == 0 else {}

    def servers():
        r = run("servers", *where, "--json")
        check(r.returncode == 0, f"servers --json: rc={r.returncode} {r.stderr!r}")
        return {s["id"]: s for s in json.loads(r.stdout)["servers"]} if r.returncode == 0 else {}

    # A stream migrated by hand: the version printed shows it migrating, locate reads both.
    before = locate("stream-7")
    source = before["owner"]
    dest = "s2" if source != "s2" else "s3"
    moved = run("stream", "migrate", "stream-7", "--to", dest, "--apply", "--timeout", "20", *where)
    check(moved.returncode == 0, f"stream migrate --apply: rc={moved.returncode} {moved.stdout!r} {moved.stderr!r}")
    shown = re.search(r"version (\d+) shows it: status migrating, write location (\S+), read locations (.*)", moved.stdout)
    check(shown is not None, f"stream migrate --apply prints the version showing MIGRATING: {moved.stdout!r}")
    if shown:
        check(shown.group(2) == dest, f"written at the destination: {shown.group(0)!r}")
        check(sorted(shown.group(3).split(", ")) == sorted([source, dest]), f"read from both: {shown.group(0)!r}")
        at = locate("stream-7")
        check(at.get("status") == "migrating", f"locate after the migration: {at}")
        check(at.get("version", 0) >= int(shown.group(1)), f"locate reads an older version: {at}")
        check(at.get("owner") == dest, f"write location {at.get('owner')}, expected {dest}")
        check(sorted(at.get("read_locations", [])) == sorted([source, dest]), f"read locations {at.get('read_locations')}")
        check(at.get("migration") == {"source": source, "destination": dest}, f"migration {at.get('migration')}")
        table = run("locate", "stream-7", *where).stdout
        check(f"migration       {source} -> {dest}" in table, f"the table shows the migration: {table!r}")

    # A server marked for data migration: dry run first, then --apply, then --cancel.
    on_s1 = servers().get("s1", {}).get("streams", 0)
    dry = run("server", "migrate", "s1", *where)
    check(dry.returncode == 0 and "dry run" in dry.stdout, f"server migrate dry run: {dry.returncode} {dry.stdout!r} {dry.stderr!r}")
    check(f"streams written there: {on_s1};" in dry.stdout, f"the dry run counts s1's {on_s1} streams: {dry.stdout!r}")
    check("max_migrations 1000, max_migrations_per_server 100" in dry.stdout, f"the dry run names the bounds: {dry.stdout!r}")
    check(re.search(r"at least \d+ leader refreshes", dry.stdout) is not None, f"the dry run says how long: {dry.stdout!r}")
    check(servers().get("s1", {}).get("state") == "up", "a dry run changes nothing")

    marked = run("server", "migrate", "s1", "--apply", "--timeout", "20", *where)
    check(marked.returncode == 0 and "applied: version" in marked.stdout,
          f"server migrate --apply: rc={marked.returncode} {marked.stdout!r} {marked.stderr!r}")
    check(servers().get("s1", {}).get("state") == "draining", "a marked server is draining: it takes no new stream")
    check(servers().get("s1", {}).get("migrate") is True, "servers --json shows the mark")
    listed = run("servers", *where)
    check("draining (migrating out)" in listed.stdout, f"servers shows the mark: {listed.stdout!r}")
    # stream-7's migration runs on (nobody reports its copy): s1's streams add theirs to it.
    deadline = time.time() + 20
    migrating = 0
    while time.time() < deadline and migrating < 1 + on_s1:
        r = run("show", *where, "--json")
        migrating = (json.loads(r.stdout).get("catalogue") or {}).get("migrating", 0) if r.returncode == 0 else 0
        time.sleep(0.2)
    check(migrating == 1 + on_s1, f"every stream of s1 migrating out: {migrating} migrations, expected {1 + on_s1}")

    again = run("server", "migrate", "s1", *where)
    check(again.returncode == 3 and "marked for data migration already" in again.stderr, f"marked twice: {again.stderr!r}")
    cancelled = run("server", "migrate", "s1", "--cancel", "--apply", "--timeout", "20", *where)
    check(cancelled.returncode == 0 and "applied: version" in cancelled.stdout,
          f"server migrate --cancel: rc={cancelled.returncode} {cancelled.stdout!r} {cancelled.stderr!r}")
    check(servers().get("s1", {}).get("state") == "up", "with the mark cleared s1 is up again")
    unknown = run("server", "migrate", "nowhere", *where)
    check(unknown.returncode == 3 and "not in version" in unknown.stderr, f"unknown server: {unknown.stderr!r}")
    lib.berth_engine_close(engine)

for f in failures:
    print("FAIL:", f)
print(f"berth stream/server migrate against a live leader: {len(failures)} failures")
sys.exit(1 if failures else 0)
