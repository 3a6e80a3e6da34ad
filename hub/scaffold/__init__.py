"""``hub plugin new NAME``: a complete vendor plugin distribution that passes the conformance kit as
generated (pyproject with the entry point, a schema with a secret field, every hook, a simulator with
``Faults``, the one-line conformance test, a README with the quality checklist).

The files are ``template/**/*.tmpl`` (``string.Template``: ``$slug``, ``$package``, ``$dist``,
``$display``, ``$Class``); ``package/`` becomes the import package ``hub_<slug>``.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

TEMPLATE = Path(__file__).parent / "template"
SLUG = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class ScaffoldError(ValueError):
    """The name or the target cannot be used; nothing was written."""


def names(slug: str) -> dict[str, str]:
    """Every spelling of the plugin's name the templates use."""
    if not SLUG.match(slug or "") or slug.endswith("_") or "__" in slug:
        raise ScaffoldError(f"NAME: {slug!r} is not a plugin slug: 2-40 lower-case letters, digits and single "
                            "underscores, starting with a letter (it becomes the entry-point name, forever)")
    words = slug.split("_")
    return {"slug": slug, "package": f"hub_{slug}", "dist": "hub-" + "-".join(words),
            "display": " ".join(w.capitalize() for w in words), "Class": "".join(w.capitalize() for w in words)}


def create_plugin(slug: str, parent: Path) -> Path:
    """Write the distribution to ``parent/hub-<slug>`` and return that directory."""
    values = names(slug)
    target = Path(parent) / values["dist"]
    if target.exists():
        raise ScaffoldError(f"{target} exists already; choose another --dir or remove it")
    files = {}
    for template in sorted(TEMPLATE.rglob("*.tmpl")):
        relative = template.relative_to(TEMPLATE).with_suffix("")  # drop .tmpl
        parts = [values["package"] if part == "package" else part for part in relative.parts]
        files[target.joinpath(*parts)] = Template(template.read_text()).substitute(values)
    for path, text in files.items():  # rendered all first: a template error writes nothing
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return target
