"""A small Python host for the packaging tests: an engine on memory, two servers, one lookup;
prints key=value lines (the owner, versions, where berth and its native libraries came from)."""
import importlib.metadata
import sys

import berth
import berth._version

with berth.Engine({"backend.name": "memory", "backend.cluster": "wheel-host", "engine.node_id": "n1"}) as engine:
    engine.join("srv-a")
    engine.join("srv-b")
    engine.add_stream("orders", tenant="", load=1.0)
    engine.flush()
    # A lone node on memory leads at once; its refresh publishes what it was just told, so the
    # lookup never races the first publication.
    if not engine.wait_leader(30):
        sys.exit("n1 did not lead within 30 s")
    engine.refresh()
    print(f"owner={engine.lookup('orders')}")
    # While the engine is open, so its plugins are loaded.
    with open("/proc/self/maps") as maps:
        for path in sorted({line[line.index("/"):].strip() for line in maps if "/" in line and "berth" in line}):
            print(f"mapped={path}")
print(f"package={berth.__file__}")
print(f"library_version={berth.version()}")
print(f"package_version={berth._version.__version__}")
try:
    print(f"distribution_version={importlib.metadata.version('berth-placement')}")
except importlib.metadata.PackageNotFoundError:
    print("distribution_version=")
sys.stdout.flush()
