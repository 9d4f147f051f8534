#!/usr/bin/env python3
"""The layer check itself: it passes a tree that keeps the layers and names every include that
breaks them. Usage: check_layers_test.py PATH/TO/check_layers.py"""

import pathlib
import subprocess
import sys
import tempfile
import unittest

CHECKER = None


class Tree:
    """A throwaway source tree with core/ and scripting/ files."""

    def __init__(self, files):
        self.dir = tempfile.TemporaryDirectory()
        self.root = pathlib.Path(self.dir.name)
        for name, text in files.items():
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

    def check(self):
        run = subprocess.run([sys.executable, CHECKER, str(self.root)], capture_output=True, text=True)
        self.dir.cleanup()
        return run.returncode, run.stdout + run.stderr


GOOD = {
    "core/common/error.h": '#include <string>\n#include "berth/plugin.hpp"\n',
    "core/plugin/loader.h": '#include "common/error.h"\n',
    "core/snapshot/snapshot.h": '#include "plugin/loader.h"\n#include "common/labels.h"\n',
    "core/config/options.h": '#include "plugin/loader.h"\n#include "scripting/sandbox.h"\n',
    "core/engine/engine.h": '#include "snapshot/snapshot.h"\n#include "config/options.h"\n',
    "core/capi/engine_api.cpp": '#include "engine/engine.h"\n',
    "core/tools/workload.cpp": '#include "engine/engine.h"\n',
    "core/cli/main.cpp": '#include "tools/workload.h"\n#include "common/log.h"\n#include "cli/bench.h"\n',
    "core/CMakeLists.txt": "add_library(x)\n",
    "scripting/rule_set.cpp": '#include "common/labels.h"\n#include "scripting/sandbox.h"\n#include <lua.hpp>\n',
}


def with_file(name, text):
    files = dict(GOOD)
    files[name] = text
    return files


class LayerCheck(unittest.TestCase):
    def test_a_tree_that_keeps_the_layers_passes(self):
        code, output = Tree(GOOD).check()
        self.assertEqual(code, 0, output)
        self.assertIn("9 files", output)

    def test_common_including_the_engine_fails_naming_file_and_line(self):
        code, output = Tree(with_file("core/common/hash.h", '#pragma once\n\n#include "engine/engine.h"\n')).check()
        self.assertEqual(code, 1, output)
        self.assertIn("core/common/hash.h:3: common includes engine/engine.h", output)

    def test_plugin_including_a_snapshot_header_fails(self):
        code, output = Tree(with_file("core/plugin/policies.h", '#include "snapshot/codec.h"\n')).check()
        self.assertEqual(code, 1, output)
        self.assertIn("core/plugin/policies.h:1: plugin includes snapshot/codec.h", output)

    def test_snapshot_including_scripting_fails(self):
        code, output = Tree(with_file("core/snapshot/columns.h", '#include "scripting/labels.h"\n')).check()
        self.assertEqual(code, 1, output)
        self.assertIn("snapshot includes scripting/labels.h", output)

    def test_scripting_including_plugin_fails(self):
        code, output = Tree(with_file("scripting/sandbox.cpp", '#include "plugin/loader.h"\n')).check()
        self.assertEqual(code, 1, output)
        self.assertIn("scripting/sandbox.cpp:1: scripting includes plugin/loader.h", output)

    def test_peers_may_not_include_each_other(self):
        code, output = Tree(with_file("core/capi/tools_use.cpp", '#include "tools/workload.h"\n')).check()
        self.assertEqual(code, 1, output)
        self.assertIn("capi includes tools/workload.h", output)

    def test_angle_bracket_includes_of_a_layer_count_too(self):
        code, output = Tree(with_file("core/plugin/x.cpp", "#include <engine/engine.h>\n")).check()
        self.assertEqual(code, 1, output)
        self.assertIn("plugin includes engine/engine.h", output)

    def test_a_folder_in_no_layer_fails(self):
        code, output = Tree(with_file("core/extras/thing.cpp", '#include "common/error.h"\n')).check()
        self.assertEqual(code, 1, output)
        self.assertIn("core/extras/ is in no layer", output)


if __name__ == "__main__":
    CHECKER = sys.argv.pop(1)
    unittest.main(verbosity=2)
