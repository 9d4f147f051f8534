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
    def assert_refused(self, name, text, expected):
        """The good tree with `name` holding `text` fails, and the output says `expected`."""
        code, output = Tree(with_file(name, text)).check()
        self.assertEqual(code, 1, output)
        self.assertIn(expected, output)

    def test_a_tree_that_keeps_the_layers_passes(self):
        code, output = Tree(GOOD).check()
        self.assertEqual(code, 0, output)
        self.assertIn("9 files", output)

    def test_common_including_the_engine_fails_naming_file_and_line(self):
        self.assert_refused("core/common/hash.h", '#pragma once\n\n#include "engine/engine.h"\n',
                            "core/common/hash.h:3: common includes engine/engine.h")

    def test_plugin_including_a_snapshot_header_fails(self):
        self.assert_refused("core/plugin/policies.h", '#include "snapshot/codec.h"\n',
                            "core/plugin/policies.h:1: plugin includes snapshot/codec.h")

    def test_snapshot_including_scripting_fails(self):
        self.assert_refused("core/snapshot/columns.h", '#include "scripting/labels.h"\n',
                            "snapshot includes scripting/labels.h")

    def test_scripting_including_plugin_fails(self):
        self.assert_refused("scripting/sandbox.cpp", '#include "plugin/loader.h"\n',
                            "scripting/sandbox.cpp:1: scripting includes plugin/loader.h")

    def test_peers_may_not_include_each_other(self):
        self.assert_refused("core/capi/tools_use.cpp", '#include "tools/workload.h"\n', "capi includes tools/workload.h")

    def test_angle_bracket_includes_of_a_layer_count_too(self):
        self.assert_refused("core/plugin/x.cpp", "#include <engine/engine.h>\n", "plugin includes engine/engine.h")

    def test_an_include_climbing_out_of_its_folder_fails(self):
        self.assert_refused("core/common/hash.h", '#include "../engine/engine.h"\n',
                            "core/common/hash.h:1: common includes ../engine/engine.h, a relative path")

    def test_a_relative_include_within_a_layer_fails_too(self):
        self.assert_refused("core/engine/x.cpp", '#include "sub/../engine.h"\n', "engine includes sub/../engine.h")

    def test_a_folder_in_no_layer_fails(self):
        self.assert_refused("core/extras/thing.cpp", '#include "common/error.h"\n', "core/extras/ is in no layer")


if __name__ == "__main__":
    CHECKER = sys.argv.pop(1)
    unittest.main(verbosity=2)
