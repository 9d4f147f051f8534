"""The berth-placement wheel, installed into a fresh virtual environment with pip (no index, no
dependencies) and used from there with no environment variable set. The host run from it is a step of
install.done_when (tests/install/done_when.py), which uses these functions."""
import os
import zipfile
from pathlib import Path

import pytest

from packaging_env import clean_env, key_values, need, run

HERE = Path(__file__).resolve().parent


def the_wheel() -> Path:
    wheels = sorted(Path(need("BERTH_WHEEL_DIR")).glob("berth_placement-*.whl"))
    assert len(wheels) == 1, f"expected one berth_placement wheel in {need('BERTH_WHEEL_DIR')}, found {wheels}"
    return wheels[0]


def install_into_fresh_venv(root: Path) -> Path:
    """A new virtual environment at root with the wheel installed by pip (no index, no deps)."""
    assert run([need("BERTH_PYTHON"), "-m", "venv", str(root)]).returncode == 0
    python = root / "bin" / "python"
    installed = run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--no-cache-dir",
                     str(the_wheel())])
    assert installed.returncode == 0, installed.stderr
    return root


def check_host_in_venv(venv: Path, tmp_path: Path) -> None:
    """python_host.py, run by the venv's python with no environment variable, uses the package,
    libberth and the plugins the wheel put in the venv, and one version throughout."""
    python = venv / "bin" / "python"
    result = run([str(python), str(HERE / "python_host.py")], cwd=tmp_path, env=clean_env())
    assert result.returncode == 0, result.stderr
    out = key_values(result.stdout)
    assert out["owner"] in ("srv-a", "srv-b")
    package = Path(out["package"]).resolve()
    assert package.is_relative_to(venv.resolve()), f"berth imported from {package}, not the venv"
    version = need("BERTH_PROJECT_VERSION")
    assert out["library_version"] == out["package_version"] == out["distribution_version"] == version
    native = package.parent / "_native"
    libberth = [p for p in out["mapped"] if os.path.basename(p).startswith("libberth.so")]
    assert libberth and all(Path(p).resolve().is_relative_to(native.resolve()) for p in libberth), \
        f"libberth mapped from {libberth}, not {native}"
    plugin = [p for p in out["mapped"] if p.endswith("berth_backend_memory.so")]
    assert plugin and Path(plugin[0]).resolve().parent == (native / "berth" / "plugins").resolve(), \
        f"the memory backend mapped from {plugin}"
    build_dir = need("BERTH_BUILD_DIR")
    assert not [p for p in out["mapped"] if p.startswith(build_dir)], "a library came from the build tree"


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    return install_into_fresh_venv(tmp_path_factory.mktemp("venv") / "env")


def test_wheel_name_and_version_follow_the_project(venv):
    wheel = the_wheel().name
    assert wheel.startswith(f"berth_placement-{need('BERTH_PROJECT_VERSION')}-cp3"), wheel
    assert "linux" in wheel and "-none-any" not in wheel, f"{wheel}: a wheel with native code needs a platform tag"


def test_wheel_carries_the_license():
    wheel = the_wheel()
    version = need("BERTH_PROJECT_VERSION")
    with zipfile.ZipFile(wheel) as z:
        text = z.read(f"berth_placement-{version}.dist-info/LICENSE").decode()
        metadata = z.read(f"berth_placement-{version}.dist-info/METADATA").decode()
    assert "Apache License" in text and "Version 2.0" in text
    assert "License-File: LICENSE" in metadata, metadata


# The host run from the venv is a step of install.done_when (tests/install/done_when.py).


def test_chart_without_matplotlib_names_the_package_to_install(venv, tmp_path):
    python = venv / "bin" / "python"
    assert run([str(python), "-c", "import matplotlib"]).returncode != 0, "the fresh venv has matplotlib"
    result = run([str(python), "-m", "berth.tools", "chart", "--set", "backend.name=memory", "-o",
                  str(tmp_path / "load.png")], cwd=tmp_path)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "matplotlib" in lines[0], result.stderr
    assert not (tmp_path / "load.png").exists()
