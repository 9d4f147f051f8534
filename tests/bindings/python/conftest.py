"""Fixtures shared by the bindings' pytest suites.

A test that needs something this machine lacks (a variable CTest sets, Debian's ZooKeeper, a built
jar) fails and names what is missing: a suite that passes has run every test.
"""

from __future__ import annotations

import os
import subprocess

import pytest

ZOOKEEPER_JAR = "/usr/share/java/zookeeper.jar"


def required_env(*names: str) -> dict[str, str]:
    """The values of environment variables CTest sets for this suite (tests/bindings/CMakeLists.txt).
    A missing one fails the calling test, naming it."""
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not set: run this suite through ctest "
                    "(ctest -L bindings), which sets it", pytrace=False)
    return {name: os.environ[name] for name in names}


def required_path(name: str, path: str, hint: str) -> str:
    """`path` (named `name` in the message), which must exist; the test fails with `hint` if not."""
    if not os.path.exists(path):
        pytest.fail(f"{name} {path} does not exist: {hint}", pytrace=False)
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skipped test counts as failed here: whatever it skipped for is missing from the run."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid} skipped ({reason}); this suite runs every test or fails"


@pytest.fixture
def java_host() -> dict[str, str]:
    """What a Java process of the binding needs: BERTH_JAVA (the java program), BERTH_JAR,
    BERTH_JNI_LIBRARY and BERTH_JAVA_TEST_CLASSES (AgreementMain)."""
    env = required_env("BERTH_JAVA", "BERTH_JAR", "BERTH_JNI_LIBRARY", "BERTH_JAVA_TEST_CLASSES")
    for name in ("BERTH_JAVA", "BERTH_JAR", "BERTH_JNI_LIBRARY", "BERTH_JAVA_TEST_CLASSES"):
        required_path(name, env[name], "build the tree first (cmake --build build)")
    return env


@pytest.fixture
def zookeeper() -> str:
    """A real ZooKeeper server's "host:port", started by tests/zookeeper's berth-zk-server
    (Debian's ZooKeeper on 127.0.0.1, a free port, a temporary directory), which kills it by its
    PID when its stdin closes."""
    program = required_env("BERTH_ZK_SERVER")["BERTH_ZK_SERVER"]
    required_path("BERTH_ZK_SERVER", program, "build the tree first (cmake --build build)")
    required_path("the ZooKeeper server jar", ZOOKEEPER_JAR,
                  "install Debian's zookeeper package (apt-get install zookeeper)")
    server = subprocess.Popen([program], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        address = server.stdout.readline().strip()
        assert address, f"berth-zk-server did not start: {server.stderr.read() if server.poll() is not None else ''}"
        yield address
    finally:
        server.stdin.close()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
