"""The result codes as Python sees them agree with abi/include/berth/result_codes.h, their one
list: the SWIG constants, berth.errors' constants and one exception class per code, each code
mapped to its own class, and nothing the header does not have. The header is read here by a
parser of this test's own, not by the build's."""

from __future__ import annotations

import builtins
import re
from pathlib import Path

import pytest

import berth
from berth import berth_swig, errors

HEADER = Path(__file__).resolve().parents[3] / "abi" / "include" / "berth" / "result_codes.h"
LINE = re.compile(r"^#define BERTH_(OK|E_\w+)\s+(\d+)\s+/\*\s*([^:]+):\s*(.*?)\s*\*/\s*$")

# Public names hosts use today; each must stay, with the builtin it also derives from.
PUBLIC = {
    "InvalidArgumentError": ValueError, "NotFoundError": LookupError, "NoServersError": None,
    "FencedError": None, "ConfigError": None, "PluginError": None, "UnavailableError": None,
    "CorruptError": None, "PermissionError": builtins.PermissionError, "StateError": None,
    "InternalError": None, "TimeoutError": builtins.TimeoutError,
}


def header_codes() -> dict[str, tuple[int, str]]:
    """symbol after BERTH_ -> (value, meaning), from the header."""
    codes = {}
    for line in HEADER.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#define BERTH_") or line.startswith("#define BERTH_RESULT_CODES_H"):
            continue
        match = LINE.match(line)
        assert match, f"{HEADER}: a result code line this test cannot read: {line}"
        codes[match.group(1)] = (int(match.group(2)), match.group(4))
    assert "OK" in codes and len(codes) > 1, f"{HEADER}: no codes read"
    return codes


def class_name(symbol: str) -> str:
    return "".join(word.capitalize() for word in symbol.removeprefix("E_").split("_")) + "Error"


def test_every_code_of_the_header_is_a_constant_of_the_same_value():
    for symbol, (value, _) in header_codes().items():
        assert getattr(berth_swig, f"BERTH_{symbol}") == value, f"berth_swig.BERTH_{symbol}"
        assert getattr(errors, symbol) == value, f"berth.errors.{symbol}"


def test_no_constant_without_a_code_in_the_header():
    codes = header_codes()
    swig = {name.removeprefix("BERTH_") for name in dir(berth_swig) if re.fullmatch(r"BERTH_(OK|E_\w+)", name)}
    ours = {name for name in dir(errors) if re.fullmatch(r"OK|E_\w+", name)}
    assert swig == set(codes), f"berth_swig has {sorted(swig ^ set(codes))} beyond or short of {HEADER.name}"
    assert ours == set(codes), f"berth.errors has {sorted(ours ^ set(codes))} beyond or short of {HEADER.name}"


def test_every_error_code_has_its_own_exception_class():
    for symbol, (value, meaning) in header_codes().items():
        if symbol == "OK":
            continue
        cls = getattr(berth, class_name(symbol))
        assert cls is getattr(errors, class_name(symbol))
        assert issubclass(cls, berth.BerthError)
        assert cls.code == value
        assert meaning.lower() in cls.__doc__.lower()
        error = errors.error_for(value, "what went wrong")
        assert type(error) is cls, f"error_for({value}) gave {type(error).__name__}, not {cls.__name__}"
        assert error.code == value and error.message == "what went wrong" and str(error) == "what went wrong"


def test_the_exception_classes_are_exactly_one_per_error_code():
    expected = {class_name(symbol) for symbol in header_codes() if symbol != "OK"}
    classes = {name for name, value in vars(errors).items()
               if isinstance(value, type) and issubclass(value, berth.BerthError) and value is not berth.BerthError}
    assert classes == expected
    assert set(errors.__all__) == expected | {"BerthError", "error_for"}
    assert expected <= set(berth.__all__)


def test_public_names_and_their_builtin_bases_stay():
    for name, also in PUBLIC.items():
        cls = getattr(berth, name)
        assert issubclass(cls, berth.BerthError), name
        if also is not None:
            assert issubclass(cls, also), f"{name} is no longer a {also.__name__}"


@pytest.mark.parametrize("code", [-1, 9999])
def test_a_code_the_header_does_not_list_is_a_plain_berth_error(code):
    error = errors.error_for(code, "from a newer library")
    assert type(error) is berth.BerthError
    assert error.code == code
