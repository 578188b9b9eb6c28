"""``import _generated`` is cheap: the heavy modules load on first use of a name.

Each check runs in a fresh interpreter, so what is already imported in the test process
does not matter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import _generated

ROOT = Path(__file__).resolve().parent.parent
#: Seconds one child interpreter may take.
CHILD_TIMEOUT = 60
HEAVY = ("pydantic", "pydantic_core", "dateutil", "urllib3")


def run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter (repo root as cwd); return its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_loads_no_heavy_module() -> None:
    out = run_python(
        """
        import json, sys
        import _generated, _generated.models, _generated.api
        print(json.dumps(sorted(sys.modules)))
        """
    )
    loaded = set(json.loads(out))
    assert "_generated" in loaded
    assert not [m for m in loaded if m.split(".")[0] in HEAVY]
    models = [m for m in loaded if m.startswith("_generated.models.")]
    assert models == []
    assert "_generated.api.usage_api" not in loaded
    assert "_generated.api_client" not in loaded


def test_every_exported_name_imports_in_one_interpreter() -> None:
    out = run_python(
        """
        import importlib, json
        import _generated
        result = {}
        for name in _generated.__all__:
            module = {}
            exec(f"from _generated import {name} as value", module)
            value = module["value"]
            result[name] = [getattr(value, "__module__", None), getattr(value, "__name__", None)]
        print(json.dumps(result))
        """
    )
    result = json.loads(out)
    assert sorted(result) == sorted(_generated.__all__)
    for name, (module, qualname) in result.items():
        if name == "__version__":
            continue
        assert module.startswith("_generated."), name
        assert qualname == name, name


def _defining_modules() -> dict[str, str]:
    """One exported name per module that defines exports (each is tried first, alone)."""
    first: dict[str, str] = {}
    for name in _generated.__all__:
        if name == "__version__":
            continue
        module = getattr(_generated, name).__module__
        first.setdefault(module, name)
    return first


@pytest.mark.parametrize(
    "name", sorted(_defining_modules().values()), ids=lambda n: f"from _generated import {n}"
)
def test_each_module_imports_first_in_a_fresh_interpreter(name: str) -> None:
    out = run_python(
        f"""
        from _generated import {name}
        print({name}.__module__)
        """
    )
    assert out.strip() == getattr(_generated, name).__module__


def test_dir_lists_every_export() -> None:
    out = run_python(
        """
        import json
        import _generated, _generated.models, _generated.api
        print(json.dumps([dir(_generated), dir(_generated.models), dir(_generated.api)]))
        """
    )
    package, models, api = (set(names) for names in json.loads(out))
    assert set(_generated.__all__) <= package
    assert set(_generated.models.__all__) <= models
    assert {
        "TokenUsageResponse",
        "TokenUsageCount",
        "TokenUsageScope",
        "HTTPValidationError",
        "ValidationError",
        "LocationInner",
    } <= models
    assert "UsageApi" in api


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        _generated.NoSuchThing  # noqa: B018
    with pytest.raises(ImportError):
        exec("from _generated import NoSuchThing", {})
    with pytest.raises(AttributeError):
        _generated.models.NoSuchModel  # noqa: B018


def test_a_loaded_name_is_cached_on_the_package() -> None:
    out = run_python(
        """
        import _generated
        first = _generated.UsageApi
        print("UsageApi" in vars(_generated), first is _generated.UsageApi)
        """
    )
    assert out.split() == ["True", "True"]
