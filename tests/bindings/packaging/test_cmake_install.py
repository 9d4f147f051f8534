"""What `cmake --install` lays out for the bindings, in the prefix install.into_prefix fills (the
fixture ctest runs first): the Python package where the target Python looks, on its installed
libberth. The installed jar (check_installed_jar) is checked by install.done_when."""
from pathlib import Path

import pytest

from packaging_env import clean_env, key_values, need, run
from test_java_jar import check_host_from_jar

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def prefix() -> Path:
    root = Path(need("BERTH_INSTALL_PREFIX"))
    assert (root / "include" / "berth" / "berth.h").is_file(), f"nothing installed in {root}"
    return root


def test_default_site_dirs_are_on_the_target_pythons_path():
    # What bindings/python/site_dir.py gives for Debian's two system prefixes is on sys.path.
    python = need("BERTH_PYTHON")
    site_dir = HERE.parents[2] / "bindings" / "python" / "site_dir.py"
    path = run([python, "-c", "import sys; print('\\n'.join(sys.path))"]).stdout.splitlines()
    for system_prefix in ("/usr", "/usr/local"):
        rel = run([python, str(site_dir), system_prefix]).stdout.strip()
        assert str(Path(system_prefix) / rel) in path, f"{system_prefix}/{rel} is not on {path}"


def test_installed_python_package_uses_the_installed_library(prefix, tmp_path):
    site = prefix / need("BERTH_PYTHON_INSTALL_DIR")
    assert (site / "berth" / "__init__.py").is_file(), f"no berth package in {site}"
    # The prefix is not a system one, so nothing puts it on sys.path: PYTHONPATH stands in for that.
    result = run([need("BERTH_PYTHON"), str(HERE / "python_host.py")], cwd=tmp_path,
                 env=clean_env(PYTHONPATH=str(site), PYTHONDONTWRITEBYTECODE="1"))
    assert result.returncode == 0, result.stderr
    out = key_values(result.stdout)
    assert out["owner"] in ("srv-a", "srv-b")
    assert Path(out["package"]).is_relative_to(site)
    libberth = [p for p in out["mapped"] if Path(p).name.startswith("libberth.so")]
    assert libberth and all(Path(p).is_relative_to(prefix) for p in libberth), libberth
    plugin = [p for p in out["mapped"] if p.endswith("berth_backend_memory.so")]
    assert plugin and Path(plugin[0]).is_relative_to(prefix), plugin


def check_installed_jar(prefix: Path, tmp_path: Path) -> None:
    """The installed jar runs a host on its own and has its Maven files beside it: a step of
    install.done_when (tests/install/done_when.py)."""
    jar = prefix / "share" / "java" / "berth.jar"
    assert jar.is_file()
    version = need("BERTH_PROJECT_VERSION")
    maven = prefix / "share" / "maven-repo" / "org" / "berth" / "berth" / version
    for suffix in (".jar", ".pom", "-sources.jar", "-javadoc.jar"):
        assert (maven / f"berth-{version}{suffix}").is_file(), f"no berth-{version}{suffix} in {maven}"
    check_host_from_jar(str(jar), tmp_path)
