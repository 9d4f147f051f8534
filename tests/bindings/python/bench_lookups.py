"""Lookups per second through the Python bindings, one thread (medians of 5 runs).

    PYTHONPATH=<build>/bindings/python /usr/bin/python3 tests/bindings/python/bench_lookups.py
"""

import statistics
import time

import berth


def main() -> None:
    s = {"backend.cluster": "bench", "engine.node_id": "bench", "engine.refresh_on_change": "false"}
    with berth.Engine(s) as engine:
        for i in range(10):
            engine.join(f"srv-{i}")
        names = [f"stream-{i}" for i in range(10000)]
        for n in names:
            engine.add_stream(n)
        engine.flush()
        assert engine.wait_leader(10)
        engine.refresh()
        engine.wait_version(1)
        assert engine.status().stream_count == len(names)
        lookup = engine.lookup
        single, batch = [], []
        for _ in range(5):
            t = time.perf_counter()
            for n in names:
                lookup(n)
            single.append(len(names) / (time.perf_counter() - t))
            t = time.perf_counter()
            for _ in range(10):
                engine.lookup_batch(names)
            batch.append(10 * len(names) / (time.perf_counter() - t))
    print(f"python lookups/s (10 servers, 10k known streams): single {statistics.median(single) / 1e6:.2f} M, "
          f"batch {statistics.median(batch) / 1e6:.2f} M")


if __name__ == "__main__":
    main()
