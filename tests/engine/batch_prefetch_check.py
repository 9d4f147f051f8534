#!/usr/bin/env python3
"""Checks that the batch lookup's prefetches survived compilation.

usage: batch_prefetch_check.py OBJDUMP BINARY

The batch call keeps ~32 table lines in flight by prefetching each stream's home line ahead of
its probe. A compiler may drop a prefetch without a word (GCC 12 did, for a helper it judged
pure), and nothing but a benchmark would notice, so this reads the machine code of
berth::Engine::Lookups::batch in BINARY and wants the two home-line prefetches it is written with
(the first lines, then one per lookup). find's own prefetch of the next line (64 bytes past a
line, an operand "0x40(...)") is inlined there too and is not counted.
"""
import re
import subprocess
import sys

MANGLED = "_ZN5berth6Engine7Lookups5batchEPKSt17basic_string_viewIcSt11char_traitsIcEEmPPKc"
NAME = "berth::Engine::Lookups::batch"


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    objdump, binary = sys.argv[1], sys.argv[2]
    try:
        listing = subprocess.run([objdump, "-d", "--no-show-raw-insn", f"--disassemble={MANGLED}", binary],
                                 check=True, capture_output=True, text=True).stdout
    except FileNotFoundError:
        print(f"{objdump} not found: install binutils", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as e:
        print(f"{objdump} failed on {binary}: {e.stderr.strip()}", file=sys.stderr)
        return 1
    body = [line for line in listing.splitlines() if re.match(r"^\s+[0-9a-f]+:\t", line)]
    if not body:
        print(f"{binary}: no function {NAME} found", file=sys.stderr)
        return 1
    home = [line for line in body if re.search(r"\tprefetch\w*\s+(?!0x40\()", line)]
    if len(home) < 2:
        print(f"{binary}: {NAME} has {len(home)} home-line prefetch instruction(s), wants 2: the batch call "
              "no longer loads table lines ahead (see LookupTable::prefetch)", file=sys.stderr)
        return 1
    print(f"{binary}: {NAME} has {len(home)} home-line prefetch instructions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
