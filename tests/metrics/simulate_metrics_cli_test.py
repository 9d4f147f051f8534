"""`berth simulate --metrics-listen`: the nodes of a running simulation are served over HTTP.
Scraped while the steps run and while it lingers after the last one: /metrics passes promtool
with a series for each node (the fleet and node-0..node-2), the leader at least on the version
of the last row, /healthz answers 200 for them,
and SIGTERM during the linger ends it with the scenario's exit code (0).

    simulate_metrics_cli_test.py BERTH_PROGRAM PROMTOOL
"""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

from scrape import check_with_promtool, get

berth, promtool = sys.argv[1], sys.argv[2]
NODES = ["fleet", "node-0", "node-1", "node-2"]
STEPS_DEADLINE_S = 120  # the steps take seconds; under ASan on a loaded machine, far less than this


proc = subprocess.Popen([berth, "simulate", "--servers", "6", "--streams", "3000", "--nodes", "3", "--json",
                         "--metrics-listen", "127.0.0.1:0", "--metrics-linger", "120"],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
rows = []
reader = threading.Thread(target=lambda: rows.extend(json.loads(line) for line in proc.stdout), daemon=True)
# stderr is drained all along (a full pipe would block the simulation) and kept for the messages.
errors = []
drainer = threading.Thread(target=lambda: errors.extend(proc.stderr), daemon=True)
try:
    line = proc.stderr.readline()
    assert line.startswith("berth: metrics on http://127.0.0.1:"), f"first line on stderr: {line!r}"
    base = line.split()[3][: -len("/metrics")]
    reader.start()
    drainer.start()

    # While the steps run: every scrape answers, whatever the nodes are doing.
    scrapes_during_steps = 0
    deadline = time.monotonic() + STEPS_DEADLINE_S
    while not rows or rows[-1]["event"] != "leader failover":
        assert proc.poll() is None, f"simulate ended ({proc.returncode}) before its last step: {''.join(errors)}"
        assert time.monotonic() < deadline, \
            f"no 'leader failover' row within {STEPS_DEADLINE_S} s ({len(rows)} rows); stderr: {''.join(errors)}"
        code, text = get(base + "/metrics")
        assert code == 200 and 'berth_build_info{version="' in text, (code, text)
        scrapes_during_steps += 1
        time.sleep(0.05)
    assert scrapes_during_steps >= 1

    # Lingering after the last step: every node is there, on the version the last row reports.
    code, text = get(base + "/metrics")
    assert code == 200, (code, text)
    for node in NODES:
        assert f'berth_snapshot_version{{node="{node}"}}' in text, f"no series of {node}:\n{text}"
    served = re.search(rf'^berth_snapshot_version{{node="{re.escape(rows[-1]["leader"])}"}} (\d+)$', text, re.M)
    assert served and int(served.group(1)) >= rows[-1]["version"], (rows[-1], text)
    check_with_promtool(promtool, text)

    code, body = get(base + "/healthz")
    health = json.loads(body)
    assert code == 200 and health["status"] == "ok", (code, body)
    assert sorted(e["node"] for e in health["engines"]) == NODES, body
    assert sum(e["leader"] for e in health["engines"]) == 1, body

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0, f"exit code after SIGTERM: {proc.returncode}"
finally:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

bad = subprocess.run([berth, "simulate", "--streams", "10", "--metrics-listen", "127.0.0.1"], capture_output=True, text=True)
assert bad.returncode == 2 and "--metrics-listen 127.0.0.1: expected ADDRESS:PORT" in bad.stderr, (bad.returncode, bad.stderr)
print(f"simulate --metrics-listen: ok ({scrapes_during_steps} scrapes while the steps ran)")
