"""A Java process and this Python process on one real ZooKeeper give the same owner for every
stream (the `file` twin is test_java_and_python_agree_on_a_file_backend in test_berth.py).

The server comes from conftest.py's `zookeeper` fixture (tests/zookeeper's berth-zk-server: a
free port, a temporary directory, killed by its PID).
"""

from __future__ import annotations

import os
import subprocess

import berth

from test_berth import NON_ASCII, expect_java_agrees


def test_java_and_python_agree_on_zookeeper(zookeeper, java_host):
    java = java_host["BERTH_JAVA"]
    root = f"/berth-agreement-{os.getpid()}"
    backend = {"backend.name": "zookeeper", "backend.connect": zookeeper, "backend.root": root,
               "backend.session_timeout": "4s"}
    s = dict(backend, **{"engine.node_id": "py-agreement", "engine.refresh_on_change": "false",
                                "engine.intake_refresh_delay": "0"})  # unknown lookups must not publish
    with berth.Engine(s) as engine:
        for i in range(5):
            engine.join(f"srv-{i}", 1.0 + i % 2)
        known = [f"stream-{i}" for i in range(300)] + NON_ASCII
        for name in known:
            engine.add_stream(name)
        engine.flush()
        assert engine.wait_leader(15.0)
        engine.refresh()
        version = engine.status().version
        assert engine.status().stream_count == len(known)
        names = known + [f"unknown-{i}" for i in range(100)] + ["unknown-ß", "unknown-🚀"]
        ours = engine.lookup_batch(names)
        assert [engine.lookup(n) for n in names] == ours
        classpath = os.pathsep.join([java_host["BERTH_JAR"], java_host["BERTH_JAVA_TEST_CLASSES"]])
        proc = subprocess.run(
            [java, f"-Dberth.jni.library={java_host['BERTH_JNI_LIBRARY']}", "-cp", classpath,
             "org.berth.AgreementMain", str(version), *(f"{k}={v}" for k, v in backend.items())],
            input="\n".join(names) + "\n", capture_output=True, encoding="utf-8", timeout=90)
        expect_java_agrees(engine, proc, version, names, ours)
        assert len(set(ours)) == 5, "every server owns streams"
