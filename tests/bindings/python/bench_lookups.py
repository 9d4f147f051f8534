"""Lookups per second through the Python bindings, one thread: known streams of a large snapshot in
a shuffled order (uniform over all of them), single calls and batches; medians of 5 runs, per second
of wall time and per second of the thread's CPU time (the floors apply to the latter).

    PYTHONPATH=<build>/bindings/python /usr/bin/python3 tests/bindings/python/bench_lookups.py \
        [--streams 100000] [--servers 100] [--batch 1000] [--runs 5] [--floor-single M] [--floor-batch M]

With a floor (millions of lookups/s) it exits 1 when a median is below it (CTest's bench.python).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

import berth


def rate(run, lookups: int, seconds: float = 1.0) -> tuple[float, float]:
    """Lookups per second of wall time and per second of this thread's CPU time of ``run``
    (``lookups`` each call), repeated for about ``seconds``. On a shared machine the thread is
    descheduled part of the time, which says nothing about the bindings: floors use CPU time."""
    done = 0
    start, cpu = time.perf_counter(), time.thread_time()
    while True:
        run()
        done += lookups
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed, done / max(1e-9, time.thread_time() - cpu)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--streams", type=int, default=100_000)
    p.add_argument("--servers", type=int, default=100)
    p.add_argument("--batch", type=int, default=1000, help="streams per batch call")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--floor-single", type=float, default=0.0, help="millions of lookups/s")
    p.add_argument("--floor-batch", type=float, default=0.0, help="millions of lookups/s")
    args = p.parse_args(argv)

    s = {"backend.cluster": "bench", "engine.node_id": "bench", "engine.refresh_on_change": "false",
         "engine.intake_refresh_delay": "0"}  # unknown lookups must not make the leader publish mid-run
    with berth.Engine(s) as engine:
        for i in range(args.servers):
            engine.join(f"srv-{i}")
        names = [f"stream-{i}" for i in range(args.streams)]
        for n in names:
            engine.add_stream(n)
        engine.flush()
        assert engine.wait_leader(10)
        engine.refresh()
        engine.wait_version(1)
        assert engine.status().stream_count == len(names), engine.status()
        random.Random(42).shuffle(names)
        batches = [names[i:i + args.batch] for i in range(0, len(names), args.batch)]
        lookup = engine.lookup
        lookup_batch = engine.lookup_batch

        def singles() -> None:
            for n in names:
                lookup(n)

        def in_batches() -> None:
            for b in batches:
                lookup_batch(b)

        single = [rate(singles, len(names)) for _ in range(args.runs)]
        batch = [rate(in_batches, len(names)) for _ in range(args.runs)]
    ms, mb = (statistics.median(r[0] for r in single) / 1e6, statistics.median(r[0] for r in batch) / 1e6)
    cs, cb = (statistics.median(r[1] for r in single) / 1e6, statistics.median(r[1] for r in batch) / 1e6)
    print(f"python lookups/s, one thread ({args.servers} servers, {args.streams} known streams, shuffled; medians of "
          f"{args.runs} runs): single {ms:.2f} M ({cs:.2f} M per CPU-second), batch of {args.batch} {mb:.2f} M "
          f"({cb:.2f} M per CPU-second)")
    print(f"runs single {[round(x[0] / 1e6, 2) for x in single]} M, batch {[round(x[0] / 1e6, 2) for x in batch]} M")
    if cs < args.floor_single or cb < args.floor_batch:
        print(f"below the floor (single {args.floor_single} M, batch {args.floor_batch} M)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
