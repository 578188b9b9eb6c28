"""What ``pip install`` puts in the wheel: every package and data file under ``_generated``.

An editable install maps the whole directory, so a package missing from the build
configuration goes unnoticed in the suite; these tests read the configuration itself.
"""

from __future__ import annotations

import fnmatch
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "_generated"

pytestmark = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="reading pyproject.toml needs tomllib (Python 3.11+)"
)


def _setuptools_config() -> dict[str, Any]:
    import tomllib

    with open(ROOT / "pyproject.toml", "rb") as file:
        config: dict[str, Any] = tomllib.load(file)["tool"]["setuptools"]
    return config


def _packages_on_disk() -> set[str]:
    return {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in PACKAGE.rglob("__init__.py")
        if "__pycache__" not in init.parts
    }


def _built_packages(config: dict[str, Any], on_disk: set[str]) -> set[str]:
    """The packages the configuration selects: a fixed list, or ``packages.find``'s patterns."""
    packages = config.get("packages")
    if isinstance(packages, list):
        return set(packages)
    find = packages["find"] if isinstance(packages, dict) else {}
    include = find.get("include", ["*"])
    exclude = find.get("exclude", [])
    return {
        name
        for name in on_disk
        if any(fnmatch.fnmatchcase(name, p) for p in include)
        and not any(fnmatch.fnmatchcase(name, p) for p in exclude)
    }


def test_every_package_under_generated_is_built() -> None:
    on_disk = _packages_on_disk()
    assert {"_generated", "_generated.testing", "_generated.aio"} <= on_disk
    assert _built_packages(_setuptools_config(), on_disk) == on_disk


def test_every_data_file_under_generated_is_declared() -> None:
    declared = _setuptools_config().get("package-data", {})
    missing = []
    for path in PACKAGE.rglob("*"):
        if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
            continue
        package = ".".join(path.parent.relative_to(ROOT).parts)
        patterns = declared.get(package, [])
        if not any(fnmatch.fnmatchcase(path.name, p) for p in patterns):
            missing.append(str(path.relative_to(ROOT)))
    assert missing == []
