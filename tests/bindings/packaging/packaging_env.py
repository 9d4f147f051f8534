"""What the packaging tests take from CTest (tests/bindings/CMakeLists.txt): a missing variable
fails the test that needs it, naming the variable."""
import os
import re
import subprocess
import sys


def need(name: str) -> str:
    value = os.environ.get(name, "")
    assert value, f"{name} is not set: run these tests through ctest (bindings.packaging)"
    return value


def clean_env(**extra: str) -> dict:
    """A minimal environment: no PYTHONPATH, LD_LIBRARY_PATH, JAVA_TOOL_OPTIONS or CLASSPATH."""
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def run(cmd, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("env", clean_env())
    kw.setdefault("timeout", 120)
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)
    sys.stdout.write(f"$ {' '.join(map(str, cmd))}\n{result.stdout}{result.stderr}")
    return result


def key_values(text: str) -> dict:
    """key=value lines; `mapped` collects every value it has."""
    out: dict = {"mapped": []}
    for line in text.splitlines():
        m = re.match(r"^([a-z_]+)=(.*)$", line)
        if m:
            if m.group(1) == "mapped":
                out["mapped"].append(m.group(2))
            else:
                out[m.group(1)] = m.group(2)
    return out
