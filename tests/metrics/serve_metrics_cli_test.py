"""`berth serve-metrics` as an operator starts it: it prints where it listens, /metrics passes
promtool, /healthz answers JSON, and SIGTERM stops it with exit code 0.

    serve_metrics_cli_test.py BERTH_PROGRAM PROMTOOL
"""
import json
import os
import signal
import subprocess
import sys

from scrape import check_with_promtool, get

berth, promtool = sys.argv[1], sys.argv[2]


proc = subprocess.Popen([berth, "serve-metrics", "--listen", "127.0.0.1:0", "--set", "engine.campaign=true",
                         "--set", "engine.node_id=cli-metrics"], stdout=subprocess.PIPE, text=True)
try:
    line = proc.stdout.readline()
    assert line.startswith("berth: metrics on http://127.0.0.1:"), f"first line: {line!r}"
    base = line.split()[3][: -len("/metrics")]

    code, text = get(base + "/metrics")
    assert code == 200, (code, text)
    assert 'berth_snapshot_version{node="cli-metrics"}' in text, text
    assert 'berth_build_info{version="' in text, text
    check_with_promtool(promtool, text)

    code, body = get(base + "/healthz")
    health = json.loads(body)
    assert code == 200 and health["status"] == "ok", (code, body)
    assert [e["node"] for e in health["engines"]] == ["cli-metrics"], body

    # A port another process holds: a runtime failure (3) that says so.
    taken = subprocess.run([berth, "serve-metrics", "--listen", base[len("http://"):], "--for", "1"],
                           capture_output=True, text=True, timeout=60)
    assert taken.returncode == 3, (taken.returncode, taken.stderr)
    assert "Address already in use" in taken.stderr and "[unavailable]" in taken.stderr, taken.stderr

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0, "exit code after SIGTERM"
finally:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

bad = subprocess.run([berth, "serve-metrics", "--listen", "127.0.0.1:http"], capture_output=True, text=True)
assert bad.returncode == 2 and "--listen 127.0.0.1:http" in bad.stderr, (bad.returncode, bad.stderr)
print("serve-metrics: ok")
