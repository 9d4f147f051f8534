#!/usr/bin/env python3
"""The command line as a user meets it: --version, help, suggestions for a mistyped command,
flags checked before any work, and the exit statuses (0 done, 1 problems found, 2 usage,
3 failure). Usage: usage_test.py BERTH VERSION"""
import subprocess
import sys
import tempfile

berth, version = sys.argv[1], sys.argv[2]
failures = []


def run(*args):
    return subprocess.run([berth, *args], capture_output=True, text=True, timeout=60)


def check(cond, what):
    if not cond:
        failures.append(what)


def expect(args, rc, *in_stderr, stdout_empty=False):
    r = run(*args)
    said = f"berth {' '.join(args)}: rc={r.returncode} stdout={r.stdout[:200]!r} stderr={r.stderr!r}"
    check(r.returncode == rc, f"{said}: expected rc {rc}")
    for text in in_stderr:
        check(text in r.stderr, f"{said}: expected {text!r} on stderr")
    if stdout_empty:
        check(r.stdout == "", f"{said}: expected no work (nothing on stdout)")
    return r


for args in (["--version"], ["version"]):
    r = run(*args)
    check(r.returncode == 0 and r.stdout == f"berth {version}\n", f"{args}: rc={r.returncode} {r.stdout!r}")

r = run("help")
check(r.returncode == 0 and "simulate" in r.stdout and "Exit status" in r.stdout, f"help: {r.returncode} {r.stdout!r}")
r = run("help", "simulate")
check(r.returncode == 0 and "Usage: berth simulate" in r.stdout and "--drift" in r.stdout, f"help simulate: {r.stdout!r}")
r = run("help", "rules", "check")
check(r.returncode == 0 and "Usage: berth rules check" in r.stdout, f"help rules check: {r.stdout!r}")

# A mistyped command: the nearest names, usage status.
expect(["simulte"], 2, "unknown command 'simulte'", "did you mean 'simulate'?", stdout_empty=True)
expect(["rules", "chek", "x.lua"], 2, "berth rules: unknown command 'chek'", "did you mean 'check'?")
expect(["help", "bnech"], 2, "did you mean 'bench'?")
expect(["frobnicate"], 2, "the commands are", "simulate")

# Numeric flags are refused while the command line is read, naming the flag, before any work.
expect(["simulate", "--drift", "5"], 2, "--drift", "[0, 1)", stdout_empty=True)
expect(["simulate", "--drift", "-0.1"], 2, "--drift", stdout_empty=True)
expect(["simulate", "--streams", "-1"], 2, "--streams", stdout_empty=True)
expect(["simulate", "--servers", "0"], 2, "--servers", stdout_empty=True)
expect(["simulate", "--seed", "abc"], 2, "--seed", stdout_empty=True)
expect(["bench", "--repetitions", "0"], 2, "--repetitions", stdout_empty=True)
expect(["bench", "--delta-installs", "many"], 2, "--delta-installs", stdout_empty=True)
expect(["show", "--timeout", "0"], 2, "--timeout", stdout_empty=True)
expect(["server", "set", "s1", "--weight", "nan"], 2, "--weight", stdout_empty=True)
# Durations have no upper bound: the message names the lower one alone.
expect(["simulate", "--metrics-listen", "127.0.0.1:0", "--metrics-linger", "-1"], 2,
       "--metrics-linger: '-1' must be a number >= 0", stdout_empty=True)
expect(["serve-metrics", "--for", "-1"], 2, "--for: '-1' must be a number >= 0", stdout_empty=True)
# A flag that only means something with another is refused without it, not ignored.
expect(["simulate", "--streams", "10", "--metrics-linger", "5"], 2,
       "--metrics-linger requires --metrics-listen", stdout_empty=True)

# --log-level: a typo is an error listing the levels, before or after the command.
levels = "trace, debug, info, warn, error, off"
expect(["--log-level", "verbose", "plugins"], 2, "'verbose' is not a log level", levels, stdout_empty=True)
expect(["plugins", "--log-level", "verbose"], 2, "'verbose' is not a log level", stdout_empty=True)
r = run("plugins", "--log-level", "debug")
check(r.returncode == 0 and r.stdout != "", f"--log-level after the command: rc={r.returncode} {r.stderr!r}")
# ... and takes effect there: an engine's info line shows at info, not at the default (warn).
small = ["simulate", "--servers", "3", "--streams", "50", "--nodes", "1"]
quiet, loud = run(*small), run(*small, "--log-level", "info")
check(quiet.returncode == 0 and loud.returncode == 0, f"simulate: rc={quiet.returncode}/{loud.returncode} {loud.stderr!r}")
check("leading at epoch" in loud.stderr and "leading at epoch" not in quiet.stderr,
      f"simulate --log-level info: the engine's info line only then: {quiet.stderr[-300:]!r} / {loud.stderr[-300:]!r}")

# The parser's own refusals (unknown flag, missing argument) are usage too, not CLI11's 104-109.
expect(["--bogus"], 2, "--bogus")
expect(["rules", "check"], 2, "FILE is required")

# 1: problems found; 2: a configuration that cannot work; 3: the work failed.
with tempfile.TemporaryDirectory() as tmp:
    script = f"{tmp}/bad.lua"
    with open(script, "w") as f:
        f.write("this is not lua\n")
    expect(["rules", "check", script], 1)
    expect(["show"], 2, "memory backend")
    expect(["show", "--set", "backend.name=file", "--set", f"backend.dir={tmp}", "--timeout", "0.2"], 3, "[timeout]")

for f in failures:
    print("FAIL:", f)
print(f"berth usage: {len(failures)} failures")
sys.exit(1 if failures else 0)
