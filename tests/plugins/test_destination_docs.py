"""docs/destination-guide.md stays true to the code: every destination hook has a section headed by
its exact signature and a test named after it, quoted files match, and each bundled destination
plugin's README fills in the destination checklist."""

from __future__ import annotations

import pluggy
import pytest

from hub.plugins import PROJECT, destination_hookspecs
from tests.plugins.test_docs import ROOT, all_test_function_names, headings, is_destination, normal, readme_items, \
    titled_blocks

GUIDE = ROOT / "docs" / "destination-guide.md"


def hook_signatures() -> dict[str, str]:
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(destination_hookspecs)
    return {name: f"{name}({', '.join(getattr(pm.hook, name).spec.argnames)})"
            for name in dir(pm.hook) if name.startswith("hub_destination")}


HOOKS = hook_signatures()
READMES = [p for p in sorted((ROOT / "plugins").glob("*/README.md")) if is_destination(p.parent)]


@pytest.fixture(scope="module")
def guide() -> str:
    return GUIDE.read_text()


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_destination_hook_has_a_section_headed_by_its_exact_signature(guide, hook):
    assert HOOKS[hook] in headings(guide), f"docs/destination-guide.md needs a heading '### {HOOKS[hook]}'"


def test_no_section_documents_a_destination_hook_that_is_not_there(guide):
    stale = [h for h in headings(guide) if h.startswith("hub_") and h not in HOOKS.values()]
    assert stale == []


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_destination_hook_has_a_test(hook):
    assert any(name == f"test_hook_{hook}" or name.startswith(f"test_hook_{hook}_")
               for name in all_test_function_names()), f"write a test_hook_{hook} (tests/destinations/test_hooks.py)"


@pytest.mark.parametrize(("path", "block"), titled_blocks(GUIDE.read_text(), "plugins/"),
                         ids=[p for p, _ in titled_blocks(GUIDE.read_text(), "plugins/")])
def test_quoted_example_matches_the_plugin(path, block):
    lines = [line.rstrip() for line in (ROOT / path).read_text().splitlines()]
    quote = [line.rstrip() for line in block.rstrip("\n").splitlines()]
    assert any(lines[i:i + len(quote)] == quote for i, line in enumerate(lines) if line == quote[0]), \
        f"the guide's excerpt of {path} no longer matches the file"


def checklist_keys(text: str) -> list[str]:
    import re

    section = text.split("## Quality checklist", 1)[1]
    return [m.group(1) for line in section.splitlines() if line.startswith("- ")
            for m in [re.search(r"\*\*(.+?)\*\*", line)] if m]


def test_bundled_destinations_exist():
    assert {p.parent.name for p in READMES} >= {"quickbooks", "xero"}


@pytest.mark.parametrize("readme", READMES, ids=lambda p: p.parent.name)
def test_destination_readme_fills_in_the_checklist(guide, readme):
    text = readme.read_text()
    assert "## Quality checklist" in text
    items = readme_items(text)
    missing = [k for k in checklist_keys(guide) if not any(normal(k) in normal(body) for _, body in items)]
    undone = [k for k in checklist_keys(guide) if any(normal(k) in normal(body) for _, body in items)
              and not any(done or "exempt" in body.lower() for done, body in items if normal(k) in normal(body))]
    assert missing == [] and undone == [], (missing, undone)
    assert "## Assumptions" in text and text.count("UNSURE") >= 3, "write every UNSURE point of the fact sheet down"
