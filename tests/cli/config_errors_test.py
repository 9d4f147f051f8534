#!/usr/bin/env python3
"""The berth command line reports a configuration mistake as the C API does: a plugin nothing
provides is named with its file, line and key, and the command fails (exit 3) without a crash.
The same plugin named with --policy fails with the same status."""
import pathlib
import subprocess
import sys
import tempfile

berth = sys.argv[1]
FAILURE = 3  # a plugin not found, in `berth --help`'s exit status scheme
failures = []


def simulate(*args):
    run = subprocess.run([berth, "simulate", "--servers", "3", "--streams", "10", *args],
                         capture_output=True, text=True, timeout=60)
    return run.returncode, run.stdout + run.stderr


with tempfile.TemporaryDirectory() as work:
    config = pathlib.Path(work) / "cluster.toml"
    config.write_text('[backend]\nname = "memory"\n\n[policy]\nname = "no_such_policy"\n')
    code, said = simulate("--config", str(config))
    if code != FAILURE:
        failures.append(f"policy named in {config}: exit status {code}, expected {FAILURE}: {said.strip()!r}")
    for part in (f"{config}:5", "policy.name", "no_such_policy"):
        if part not in said:
            failures.append(f"the message does not name {part!r}: {said.strip()!r}")

    code, said = simulate("--backend", "memory", "--policy", "no_such_policy")
    if code != FAILURE:
        failures.append(f"policy named with --policy: exit status {code}, expected {FAILURE}: {said.strip()!r}")
    if "no_such_policy" not in said:
        failures.append(f"the --policy message does not name 'no_such_policy': {said.strip()!r}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
