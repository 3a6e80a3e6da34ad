"""``hub plugin new NAME``: the generated distribution is complete and passes the conformance kit as
generated, loaded through its own entry point."""

from __future__ import annotations

import re
import tomllib

import pytest

from hub.plugins import hookspecs
from hub.testing import PluginHarness
from tests.plugins.source_tree import installed_from_source, kit_results


def hub(runner, *args):
    return runner.invoke(args=[str(a) for a in args])


def test_new_plugin_passes_every_check_as_generated(runner, tmp_path, monkeypatch):
    result = hub(runner, "plugin", "new", "sentinel_one", "--dir", tmp_path)
    assert result.exit_code == 0, result.output
    project = tmp_path / "hub-sentinel-one"
    assert f"created {project}" in result.output

    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert meta["entry-points"]["hub"] == {"sentinel_one": "hub_sentinel_one.plugin"}
    assert (project / "tests/test_conformance.py").read_text().strip().endswith(
        'TestSentinelOneConformance = conformance_suite("sentinel_one")')
    assert "## Quality checklist" in (project / "README.md").read_text()
    plugin_source = (project / "hub_sentinel_one/plugin.py").read_text()
    every_hook = {name for name in dir(hookspecs) if name.startswith("hub_")}
    assert every_hook <= set(re.findall(r"^def (hub_\w+)", plugin_source, re.MULTILINE))

    with installed_from_source(project, monkeypatch), \
            PluginHarness("sentinel_one", workdir=tmp_path / "kit") as harness:
        assert harness.handle.info.secret_fields == {"api_key"}
        # limits as data: the vendor's documented limit stated apart from the plugin's own pacing
        documented = harness.handle.info.documented_limits
        assert documented is not None and documented.requests_per_second == harness.handle.info.requests_per_second
        failures, skipped = kit_results(harness)
    assert failures == {} and skipped == []  # its simulator reports totals, so nothing is skipped


@pytest.mark.parametrize("name", ["Acme", "1password", "a", "acme-backup", "acme__x", "acme_"])
def test_a_name_that_cannot_be_a_slug_is_refused_and_nothing_written(runner, tmp_path, name):
    out = tmp_path / "out"
    out.mkdir()
    result = hub(runner, "plugin", "new", name, "--dir", out)
    assert result.exit_code != 0 and "NAME:" in result.output and "is not a plugin slug" in result.output
    assert list(out.iterdir()) == []


def test_an_existing_directory_is_never_overwritten(runner, tmp_path):
    (tmp_path / "hub-acme").mkdir()
    (tmp_path / "hub-acme" / "keep.txt").write_text("mine")
    result = hub(runner, "plugin", "new", "acme", "--dir", tmp_path)
    assert result.exit_code != 0 and "exists already" in result.output
    assert [p.name for p in (tmp_path / "hub-acme").iterdir()] == ["keep.txt"]
