#!/usr/bin/env python3
"""The berth command line reports a configuration mistake as the C API does: a plugin nothing
provides is named with its file, line and key, and the command fails without a crash."""
import pathlib
import subprocess
import sys
import tempfile

berth = sys.argv[1]
failures = []
with tempfile.TemporaryDirectory() as work:
    config = pathlib.Path(work) / "cluster.toml"
    config.write_text('[backend]\nname = "memory"\n\n[policy]\nname = "no_such_policy"\n')
    run = subprocess.run([berth, "simulate", "--config", str(config), "--servers", "3", "--streams", "10"],
                         capture_output=True, text=True, timeout=60)
    said = run.stdout + run.stderr
    if run.returncode <= 0:
        failures.append(f"exit status {run.returncode}: expected a failure, not success or a signal")
    for part in (f"{config}:5", "policy.name", "no_such_policy"):
        if part not in said:
            failures.append(f"the message does not name {part!r}: {said.strip()!r}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
