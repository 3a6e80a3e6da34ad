"""docs/plugin-guide.md stays true to the code: every hook has a section headed by its exact signature
and a test, quoted examples match the bundled plugins' files, the guide's first plugin passes the
conformance kit, and each bundled plugin's README fills in the quality checklist."""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pluggy
import pytest

from hub.plugins import PROJECT, hookspecs
from tests.plugins.source_tree import installed_from_source, kit_results

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "plugin-guide.md"
BLOCK = re.compile(r'^```(\w+) title="([^"]+)"\n(.*?)^```$', re.MULTILINE | re.DOTALL)


def hook_signatures() -> dict[str, str]:
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    return {name: f"{name}({', '.join(getattr(pm.hook, name).spec.argnames)})"
            for name in dir(pm.hook) if name.startswith("hub_")}


HOOKS = hook_signatures()


@pytest.fixture(scope="module")
def guide() -> str:
    return GUIDE.read_text()


def headings(text: str) -> list[str]:
    return [m.group(1).strip("` ") for m in re.finditer(r"^#{2,4} (.+)$", text, re.MULTILINE)]


def titled_blocks(text: str, prefix: str) -> list[tuple[str, str]]:
    return [(m.group(2), m.group(3)) for m in BLOCK.finditer(text) if m.group(2).startswith(prefix)]


# -- the hook reference ----------------------------------------------------------------------------


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_hook_has_a_section_headed_by_its_exact_signature(guide, hook):
    assert HOOKS[hook] in headings(guide), f"docs/plugin-guide.md needs a heading '### {HOOKS[hook]}'"


def test_no_section_documents_a_hook_that_is_not_there(guide):
    stale = [h for h in headings(guide) if h.startswith("hub_") and h not in HOOKS.values()]
    assert stale == [], f"headings for hooks that hookspecs.py does not declare (as written): {stale}"


@functools.cache
def all_test_function_names() -> frozenset[str]:
    """Names of every test function in the hub's and the bundled plugins' tests."""
    found = set()
    for folder in [ROOT / "tests", *sorted((ROOT / "plugins").glob("*/tests"))]:
        for path in folder.rglob("test_*.py"):
            tree = ast.parse(path.read_text(), filename=str(path))
            found |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}
    return frozenset(found)


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_hook_has_a_test(hook):
    """As datasette's test_plugin_hooks_have_tests: a test named test_hook_<hook> exists somewhere."""
    assert any(name == f"test_hook_{hook}" or name.startswith(f"test_hook_{hook}_")
               for name in all_test_function_names()), f"write a test_hook_{hook} (tests/plugins/test_hooks.py)"


# -- examples ---------------------------------------------------------------------------------------


def quoted_examples() -> list[tuple[str, str]]:
    return titled_blocks(GUIDE.read_text(), "plugins/")


@pytest.mark.parametrize(("path", "block"), quoted_examples(), ids=[p for p, _ in quoted_examples()])
def test_quoted_example_matches_the_plugin(path, block):
    """A block titled with a bundled plugin's file is a verbatim, contiguous excerpt of that file."""
    source = ROOT / path
    assert source.exists(), f"the guide quotes {path}, which does not exist"
    lines = [line.rstrip() for line in source.read_text().splitlines()]
    quote = [line.rstrip() for line in block.rstrip("\n").splitlines()]
    starts = [i for i, line in enumerate(lines) if line == quote[0]]
    assert any(lines[i:i + len(quote)] == quote for i in starts), \
        f"the guide's excerpt of {path} no longer matches the file; quote it again"


def test_first_plugin_passes_the_conformance_kit(tmp_path, monkeypatch):
    """The 'Your first plugin' files, written out and installed, pass every check through their entry point."""
    files = titled_blocks(GUIDE.read_text(), "hub-acme/")
    assert {p for p, _ in files} >= {"hub-acme/pyproject.toml", "hub-acme/hub_acme/plugin.py",
                                     "hub-acme/hub_acme/simulator.py", "hub-acme/tests/test_conformance.py"}
    for path, text in files:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    from hub.testing import PluginHarness

    with installed_from_source(tmp_path / "hub-acme", monkeypatch), \
            PluginHarness("acme", workdir=tmp_path / "kit") as harness:
        failures, skipped = kit_results(harness)
        result = harness.app.test_cli_runner().invoke(args=["plugins"])
    assert failures == {} and skipped == ["listing_short_of_its_total_is_an_error"]  # the API reports no total
    assert re.search(r"acme\s+Acme Backup\s+0\.1\.0\s+loaded\s+hub-acme", result.output), result.output


# -- the quality checklist ------------------------------------------------------------------------


def checklist_keys(text: str) -> list[str]:
    section = text.split("## Quality checklist", 1)[1].split("\n## ", 1)[0]
    return [m.group(1) for line in section.splitlines() if line.startswith("- ")
            for m in [re.search(r"\*\*(.+?)\*\*", line)] if m]


def normal(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", "", text.lower().replace("_", "").replace("-", "")).split())


def readme_items(readme: str) -> list[tuple[bool, str]]:
    """(done, text) per checklist item of a README's quality checklist section."""
    section = readme.split("## Quality checklist", 1)[1].split("\n## ", 1)[0]
    items = re.split(r"^- \[", section, flags=re.MULTILINE)[1:]
    return [(item.startswith("x]"), item[2:]) for item in items]


def test_guide_checklist_has_three_tiers_of_keyed_items(guide):
    keys = checklist_keys(guide)
    assert len(keys) == 14 and len(set(map(normal, keys))) == 14
    assert all(tier in guide for tier in ("**Bronze**", "**Silver**", "**Gold**"))


def is_destination(plugin_dir: Path) -> bool:
    """A destination plugin (docs/destination-guide.md has its own checklist)."""
    return any("def hub_destination_info" in p.read_text() for p in plugin_dir.glob("hub_*/plugin.py"))


VENDOR_READMES = [p for p in sorted((ROOT / "plugins").glob("*/README.md")) if not is_destination(p.parent)]


@pytest.mark.parametrize("readme", VENDOR_READMES, ids=lambda p: p.parent.name)
def test_bundled_plugin_readme_fills_in_the_checklist(guide, readme):
    text = readme.read_text()
    assert "## Quality checklist" in text, f"{readme.relative_to(ROOT)} has no '## Quality checklist' section"
    items = readme_items(text)
    missing, unexplained = [], []
    for key in checklist_keys(guide):
        matching = [(done, body) for done, body in items if normal(key) in normal(body)]
        if not matching:
            missing.append(key)
        elif not any(done or "exempt" in body.lower() for done, body in matching):
            unexplained.append(key)
    assert missing == [], f"{readme.relative_to(ROOT)}: no checklist item for {missing}"
    assert unexplained == [], f"{readme.relative_to(ROOT)}: not done and not marked exempt: {unexplained}"
