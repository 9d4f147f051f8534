#!/usr/bin/env python3
"""Fails when an #include in core/ or scripting/ points from a layer to one it does not stand on.

Usage: check_layers.py SOURCE_DIR

A file's layer is its folder under core/ (core/engine/refresh.h is in `engine`), or `scripting`
for scripting/. An include names a layer by its first path component ("snapshot/codec.h").
Includes of the ABI headers (berth/...) and of libraries are allowed everywhere. An include with a
`..` component is an error: it reaches another folder without naming its layer. The layers and
why they are ordered so: docs/layers.md.
"""

import pathlib
import re
import sys

# Each layer and the layers directly below it; a layer may include those and, through them,
# everything further down. Two layers that do not reach each other may not include each other.
STANDS_ON = {
    "common": [],
    "plugin": ["common"],
    "scripting": ["common"],
    "snapshot": ["plugin"],
    "config": ["plugin", "scripting"],
    "ownership": ["snapshot"],
    "catalogue": ["ownership", "scripting"],
    "engine": ["catalogue", "config"],
    "capi": ["engine"],
    "metrics_http": ["capi"],
    "tools": ["engine"],
    "cli": ["tools"],
}

SOURCE_SUFFIXES = {".h", ".hpp", ".c", ".cc", ".cpp", ".ipp"}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')


def reachable(layer):
    seen, todo = set(), list(STANDS_ON[layer])
    while todo:
        below = todo.pop()
        if below not in seen:
            seen.add(below)
            todo.extend(STANDS_ON[below])
    return seen


def files_with_layers(root):
    """(path, layer) for every source file; a folder of core/ in no layer is an error."""
    problems, files, unplaced = [], [], set()
    core = root / "core"
    for path in sorted(core.rglob("*")):
        if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
            continue
        relative = path.relative_to(core)
        if len(relative.parts) < 2:
            problems.append(f"{path.relative_to(root)}: a source file directly in core/, in no layer")
            continue
        layer = relative.parts[0]
        if layer not in STANDS_ON:
            if layer in unplaced:
                continue
            unplaced.add(layer)
            problems.append(f"{path.relative_to(root)}: core/{layer}/ is in no layer: add it to STANDS_ON in "
                            f"{pathlib.Path(__file__).name} and to docs/layers.md")
            continue
        files.append((path, layer))
    for path in sorted((root / "scripting").rglob("*")):
        if path.suffix in SOURCE_SUFFIXES and path.is_file():
            files.append((path, "scripting"))
    return files, problems


def check(root):
    files, problems = files_with_layers(root)
    for path, layer in files:
        allowed = reachable(layer) | {layer}
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            match = INCLUDE.match(line)
            if not match:
                continue
            parts = match.group(1).split("/")
            if ".." in parts:
                problems.append(f"{path.relative_to(root)}:{number}: {layer} includes {match.group(1)}, a relative "
                                f"path the layer check cannot place: name the folder from core/ (\"layer/file.h\")")
                continue
            target = parts[0]
            if len(parts) < 2 or target not in STANDS_ON or target in allowed:
                continue
            below = ", ".join(sorted(reachable(layer))) or "nothing"
            problems.append(f"{path.relative_to(root)}:{number}: {layer} includes {match.group(1)}, "
                            f"from layer {target}, which {layer} does not stand on ({layer} may include: {below})")
    return len(files), problems


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    root = pathlib.Path(argv[1]).resolve()
    if not (root / "core").is_dir():
        print(f"{root}: no core/ folder here", file=sys.stderr)
        return 2
    count, problems = check(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"layers: {len(problems)} problem(s) in {count} files", file=sys.stderr)
        return 1
    print(f"layers: {count} files, every include points to the same layer or one below")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
