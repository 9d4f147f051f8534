#!/usr/bin/env python3
"""Checks that the batch lookup's prefetches survived compilation.

usage: batch_prefetch_check.py BINARY

The batch call keeps ~32 table lines in flight by prefetching each stream's home line ahead of
its probe. A compiler may drop a prefetch without a word (GCC 12 did, for a helper it judged
pure), and nothing but a benchmark would notice, so this reads the machine code of
berth::Engine::Lookups::batch in BINARY and wants the two prefetches it is written with (the
first lines, then one per lookup).
"""
import re
import subprocess
import sys

SYMBOL = "berth::Engine::Lookups::batch("


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = sys.argv[1]
    listing = subprocess.run(["objdump", "-d", "-C", "--no-show-raw-insn", binary], check=True,
                             capture_output=True, text=True).stdout
    body, inside = [], False
    for line in listing.splitlines():
        if re.match(r"^[0-9a-f]+ <", line):
            inside = SYMBOL in line
        elif inside:
            body.append(line)
    if not body:
        print(f"{binary}: no function {SYMBOL}...) found", file=sys.stderr)
        return 1
    prefetches = [line for line in body if re.search(r"\tprefetch", line)]
    if len(prefetches) < 2:
        print(f"{binary}: {SYMBOL}...) has {len(prefetches)} prefetch instruction(s), wants 2 or more: "
              "the batch call no longer loads table lines ahead (see LookupTable::prefetch)", file=sys.stderr)
        return 1
    print(f"{binary}: {SYMBOL}...) has {len(prefetches)} prefetch instructions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
