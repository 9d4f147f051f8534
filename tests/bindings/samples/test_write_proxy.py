"""samples/java's write proxy: two proxies on one `file` backend directory agree on every owner.

Run by CTest (samples.java.write_proxy), which sets BERTH_JAVA, BERTH_JAR, BERTH_JNI_LIBRARY and
BERTH_WRITE_PROXY_JAR.
"""

from __future__ import annotations

import os
import subprocess

import pytest

STREAMS = [f"stream-{i}" for i in range(500)] + ["stréam", "流-7", "emoji-😀"]


def start_proxy(directory: str, server: str) -> subprocess.Popen:
    env = os.environ
    classpath = os.pathsep.join([env["BERTH_JAR"], env["BERTH_WRITE_PROXY_JAR"]])
    return subprocess.Popen(
        [env["BERTH_JAVA"], f"-Dberth.jni.library={env['BERTH_JNI_LIBRARY']}", "-cp", classpath,
         "org.berth.samples.WriteProxy", "--server", server,
         "--set", "backend.name=file", "--set", f"backend.dir={directory}",
         # Both must answer from one version: no intake-woken publication in between.
         "--set", "engine.intake_refresh_delay=0", "--wait-servers", "2"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8")


def require_ctest_environment() -> None:
    """Fails the test, naming what is missing, unless CTest set every variable and each path exists."""
    names = ("BERTH_JAVA", "BERTH_JAR", "BERTH_JNI_LIBRARY", "BERTH_WRITE_PROXY_JAR")
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not set: run this test through ctest "
                    "(ctest -R samples.java.write_proxy), which sets it", pytrace=False)
    for name in names:
        if not os.path.exists(os.environ[name]):
            pytest.fail(f"{name} {os.environ[name]} does not exist: build the tree first (cmake --build build)",
                        pytrace=False)


def test_two_write_proxies_agree_on_every_owner(tmp_path):
    require_ctest_environment()
    proxies = [start_proxy(str(tmp_path), s) for s in ("proxy-a:8080", "proxy-b:8080")]
    try:
        answers = []
        # Both keep running (and members) until both have answered everything: a proxy leaving
        # early would make the other's leader move its streams half way through.
        for p in proxies:
            p.stdin.write("\n".join(STREAMS) + "\n")
            p.stdin.flush()
        for p in proxies:
            answers.append([p.stdout.readline().rstrip("\n") for _ in STREAMS])
        for p in proxies:
            p.stdin.close()
        for p in proxies:
            assert p.wait(timeout=30) == 0, p.stderr.read()
    finally:
        for p in proxies:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert answers[0] == answers[1]
    assert set(answers[0]) == {"proxy-a:8080", "proxy-b:8080"}, "both proxies own streams"
