"""Make a plugin's source tree importable with its entry points, without pip: a ``.dist-info`` beside
the package names them, and the tree goes on ``sys.path`` (importlib.metadata finds it there)."""

from __future__ import annotations

import sys
import tomllib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def installed_from_source(project: Path, monkeypatch) -> Iterator[dict]:
    """Register ``project`` (a directory with a pyproject.toml) for the block; yields its [project] table."""
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    package = meta["name"].replace("-", "_")
    info = project / f"{package}-{meta['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n")
    (info / "entry_points.txt").write_text(
        "[hub]\n" + "".join(f"{k} = {v}\n" for k, v in meta["entry-points"]["hub"].items()))
    monkeypatch.syspath_prepend(str(project))
    try:
        yield meta
    finally:
        for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
            del sys.modules[name]


def kit_results(harness) -> tuple[dict[str, str], list[str]]:
    """Run every conformance check on ``harness``: ({check: failure message}, [skipped checks])."""
    import pytest

    from hub.testing import CHECKS

    failures, skipped = {}, []
    for name, check in CHECKS.items():
        try:
            check(harness)
        except AssertionError as err:
            failures[name] = str(err)
        except pytest.skip.Exception:
            skipped.append(name)  # a check that does not apply says so
    return failures, skipped
