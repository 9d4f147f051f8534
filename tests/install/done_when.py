"""Berth installed as a user gets it, in one chain (README.md, "Installing"): `cmake --install`
into a clean prefix, then, with no environment variable beyond the two documented ones (below):
  1. nothing installed or packed carries a test hook (BERTH_TEST_HOOKS);
  2. a C host compiled with `pkg-config --cflags --libs berth` runs (pkg_config_host.cmake);
  3. a C host compiled with `pkg-config --cflags --libs berth-metrics-http` holds two engines and
     serves them: /metrics passes `promtool check metrics`, /healthz answers;
  4. a Java host runs from the installed jar with only `-cp`;
  5. the wheel, installed into a fresh virtual environment, runs a Python host;
  6. `man berth` reads the installed page, the bash completion completes (check_man_and_completion.cmake);
  7. the installed ZooKeeper plugin (the twin built without hooks) is in the prefix, the jar and
     the wheel, and the installed `berth` loads it: against a closed port it cannot connect.
With --no-bindings (a build without BERTH_BUILD_BINDINGS) the jar and wheel parts are left out.
PKG_CONFIG_PATH=<prefix>/<libdir>/pkgconfig is how pkg-config finds a prefix it was not built for,
and `man -M <prefix>/share/man` (MANPATH) how man does: the only variables set, each for its tool.
Run by ctest (tests/install/CMakeLists.txt), which passes the build's paths as variables."""
import argparse
import os
import queue
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[0] / "bindings" / "packaging"))
from packaging_env import clean_env, need, run  # noqa: E402
from test_cmake_install import check_installed_jar  # noqa: E402
from test_python_wheel import check_host_in_venv, install_into_fresh_venv, the_wheel  # noqa: E402

# Each test hook's variable: the hooks read them and say so in their log lines, so a plugin naming
# one carries a hook or its message.
HOOK_NEEDLES = (b"BERTH_ZK_TEST_SESSION_FILE", b"BERTH_ZK_TEST_NO_DISOWN")
ZK_PLUGIN = "berth_backend_zookeeper.so"


def step(title: str) -> None:
    print(f"\n==== {title}", flush=True)


def cmake_script(script: str, **defines: str) -> None:
    args = [need("BERTH_CMAKE")] + [f"-D{k}={v}" for k, v in defines.items()] + ["-P", str(HERE / script)]
    result = run(args, env=clean_env(), timeout=600)
    assert result.returncode == 0, f"{script} failed:\n{result.stdout}{result.stderr}"


def archives(prefix: Path, bindings: bool) -> list:
    """The installed jars and the wheel: what is packed besides the prefix."""
    return [*prefix.rglob("*.jar"), the_wheel()] if bindings else []


def hooks_named(data: bytes) -> list:
    return [needle.decode() for needle in HOOK_NEEDLES if needle in data]


def files_with_hooks(prefix: Path, bindings: bool) -> list:
    """Every installed file, and every member of the installed jars and of the wheel, naming a hook,
    with the hooks it names."""
    named = [(str(p), hooks_named(p.read_bytes())) for p in prefix.rglob("*") if p.is_file() and not p.is_symlink()]
    for archive in archives(prefix, bindings):
        with zipfile.ZipFile(archive) as z:
            named += [(f"{archive}!{n}", hooks_named(z.read(n))) for n in z.namelist()]
    return [f"{where} ({', '.join(hooks)})" for where, hooks in named if hooks]


def check_no_test_hooks(prefix: Path, bindings: bool) -> None:
    # Each needle must be what a hooked build carries, or finding nothing would prove nothing.
    hooked = Path(need("BERTH_HOOKED_PLUGIN"))
    missing = set(n.decode() for n in HOOK_NEEDLES) - set(hooks_named(hooked.read_bytes()))
    assert not missing, f"{hooked} (built with test hooks) does not contain {sorted(missing)}"
    found = files_with_hooks(prefix, bindings)
    assert not found, f"test hooks in what is installed or packed: {found}"


def check_zookeeper_plugin_shipped(prefix: Path, bindings: bool) -> None:
    """The twin built without hooks is what is installed and packed, and it loads and runs."""
    plugin = prefix / need("BERTH_LIBDIR") / "berth" / "plugins" / ZK_PLUGIN
    assert plugin.is_file(), f"{plugin} is not installed"
    for archive in archives(prefix, bindings):
        with zipfile.ZipFile(archive) as z:
            if archive.name.endswith(("-sources.jar", "-javadoc.jar")):
                continue
            names = [n for n in z.namelist() if n.endswith("/" + ZK_PLUGIN)]
            assert names, f"{archive} packs no {ZK_PLUGIN}"
    # Port 1 on loopback is closed: the plugin is found and loaded, and says it cannot connect.
    result = run([str(prefix / "bin" / "berth"), "servers", "--timeout", "2", "--set", "backend.name=zookeeper",
                  "--set", "backend.connect=127.0.0.1:1"], env=clean_env(), timeout=120)
    assert result.returncode == 3 and "could not connect to '127.0.0.1:1'" in result.stderr, \
        f"the installed berth with backend.name=zookeeper (exit {result.returncode}):\n{result.stderr[-2000:]}"


def pkg_config(module: str, env: dict, *what: str) -> list:
    result = run(["pkg-config", *what, module], env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def first_line(process: subprocess.Popen, timeout: float) -> str:
    """The process's first line of output, or a failure after timeout seconds (a hung host)."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        process.kill()
        raise AssertionError(f"{process.args[0]} printed nothing within {timeout} s")


def get(url: str) -> tuple:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def check_metrics_host(prefix: Path, work: Path) -> None:
    env = clean_env(PKG_CONFIG_PATH=str(prefix / need("BERTH_LIBDIR") / "pkgconfig"))
    assert pkg_config("berth-metrics-http", env, "--modversion") == [need("BERTH_PROJECT_VERSION")]
    flags = pkg_config("berth-metrics-http", env, "--cflags", "--libs")
    assert "-lberth_metrics_http" in flags and "-lberth" in flags, flags
    host = work / "metrics_host"
    sanitize = [f"-fsanitize={os.environ['BERTH_SANITIZE']}"] if os.environ.get("BERTH_SANITIZE") else []
    compiled = run([need("BERTH_C_COMPILER"), "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", *sanitize,
                    str(HERE / "metrics_host.c"), "-o", str(host), *flags], env=env)
    assert compiled.returncode == 0, compiled.stderr
    # The host runs with no environment variable at all: its libraries come through the rpath.
    process = subprocess.Popen([str(host)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=clean_env())
    try:
        line = first_line(process, timeout=60)
        assert line.startswith("port="), f"metrics_host printed {line!r} (exit {process.poll()})"
        base = f"http://127.0.0.1:{int(line[5:])}"
        status, text = get(f"{base}/metrics")
        assert status == 200, (status, text)
        for node in ("host-a", "host-b"):
            assert f'berth_is_leader{{node="{node}"}}' in text, f"no series of {node}:\n{text}"
        assert text.count("# HELP berth_is_leader ") == 1, text
        (work / "two_engines.prom").write_text(text)
        checked = subprocess.run([need("BERTH_PROMTOOL"), "check", "metrics"], input=text,
                                 capture_output=True, text=True, timeout=60, env=clean_env())
        assert checked.returncode == 0, f"promtool check metrics:\n{checked.stdout}{checked.stderr}"
        status, body = get(f"{base}/healthz")
        # Two memory engines are never degraded: the process is healthy.
        assert status == 200 and '"status":"ok"' in body.replace(" ", ""), (status, body)
        assert '"host-a"' in body and '"host-b"' in body, (status, body)
    finally:
        process.stdin.close()
        assert process.wait(timeout=30) == 0, "metrics_host failed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-bindings", action="store_true", help="a build without the jar and the wheel")
    bindings = not parser.parse_args().no_bindings
    # Outside the build tree, so that nothing a host maps can be mistaken for the build's own.
    with tempfile.TemporaryDirectory(prefix="berth-done-when-") as work:
        chain(Path(work), bindings)
    print("\ninstall.done_when: every step passed")


def chain(work: Path, bindings: bool) -> None:
    prefix = work / "prefix"
    libdir = need("BERTH_LIBDIR")
    version = need("BERTH_PROJECT_VERSION")

    step(f"cmake --install into the clean prefix {prefix}")
    cmake_script("install_into.cmake", BUILD_DIR=need("BERTH_BUILD_DIR"), PREFIX=str(prefix), LIBDIR=libdir)

    step("no test hook in what is installed or packed")
    check_no_test_hooks(prefix, bindings)

    step("the installed ZooKeeper plugin, in the prefix" + (", the jar and the wheel" if bindings else ""))
    check_zookeeper_plugin_shipped(prefix, bindings)

    step("a C host through `pkg-config --cflags --libs berth`")
    cmake_script("pkg_config_host.cmake", PREFIX=str(prefix), LIBDIR=libdir, SOURCE=str(HERE / "pkg_config_host.c"),
                 BINARY=str(work / "pkg_config_host"), C_COMPILER=need("BERTH_C_COMPILER"),
                 SANITIZE=os.environ.get("BERTH_SANITIZE", ""), EXPECTED=version)

    step("two engines served by the installed endpoint; promtool check metrics on /metrics")
    check_metrics_host(prefix, work)

    if bindings:
        step("a Java host from the installed jar with only -cp")
        check_installed_jar(prefix, work)

        step("the wheel in a fresh virtual environment, a Python host")
        check_host_in_venv(install_into_fresh_venv(work / "venv"), work)

    step("man berth and the bash completion")
    cmake_script("check_man_and_completion.cmake", PREFIX=str(prefix), MANDIR=need("BERTH_MANDIR"),
                 DATADIR=need("BERTH_DATADIR"), MAN_PAGES=need("BERTH_MAN_PAGES"))


if __name__ == "__main__":
    main()
