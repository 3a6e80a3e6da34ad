"""Labels, not raw values (issue 13): every page of a seeded demo hub, read as a person reads it (the text,
not the URLs, ``data-*`` attributes or <code>), shows no vendor slug, no True/False/None and no stored
snake_case value ("Bill by active_users", "Bill trial organizations False", Kind "acronis").

The hub is the demo (``start_demo``) with Acronis and Proofpoint: a vendor with a plugin setting that is a
choice and one that is a yes/no, issued invoices, a held change, a failed run and a sync history.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from hub.extensions import db
from hub.models import (Invoice, Organization, Product, RecurringInvoice, SyncRun, VendorCustomer,
                        VendorIntegration)
from tests.conftest import make_test_config

VENDORS = ("acronis", "proofpoint")
OTHERS = "bitdefender,csv_import,huntress,pax8,sentinelone,quickbooks,xero"
#: what a person must never read: a Python boolean, or a stored value with underscores ("None" is left out:
#: it is an English word too, as in "None yet")
RAW_WORDS = re.compile(r"(?<![\w.-])(True|False|[a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w-])")
#: routes whose page is not for people (downloads, JSON, health) or not made of labels (the audit log
#: records the fields and values as stored, on purpose)
NOT_SCANNED = ("/api/", "/static/", "/healthz", "/logout", "/admin/audit", "/dashboard/billing")


class VisibleText(HTMLParser):
    """The text a person reads: no script/style, and no <code>/<pre>/<kbd> (identifiers shown as such)."""

    HIDDEN = {"script", "style", "code", "pre", "kbd", "samp", "textarea"}

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def raw_values(text: str, slugs) -> dict[str, str]:
    """Each raw value found -> the words around its first appearance (for the failure message)."""
    patterns = [RAW_WORDS] + [re.compile(rf"(?<![\w./-])({re.escape(slug)})(?![\w./-])") for slug in slugs]
    found: dict[str, str] = {}
    for pattern in patterns:
        for match in pattern.finditer(text):
            found.setdefault(match.group(1), text[max(0, match.start() - 50):match.end() + 30])
    return found


def test_the_scan_finds_the_raw_forms_the_issue_names():
    text = visible_text('<p>Bill by active_users</p><dd>Bill trial organizations False</dd><td>acronis</td>'
                        '<a href="/admin/apps/acronis" data-x="in_advance">Acronis Cyber Protect Cloud</a>'
                        '<code>pw_base_workstations</code>')
    assert set(raw_values(text, ["acronis"])) == {"active_users", "False", "acronis"}


@pytest.fixture
def app_config(tmp_path, database_url):
    return make_test_config(tmp_path, database_url, HUB_SYNC_IN_BACKGROUND=False, HUB_LOAD_ENTRY_POINTS=True,
                            HUB_DISABLED_PLUGINS=OTHERS)


@pytest.fixture
def demo(app, users):
    from hub.demo import start_demo

    run = start_demo(app, customers=6)
    yield run
    for served in run.running:
        served.stop()


def _ids() -> dict:
    first = lambda model: db.session.execute(db.select(model.id).order_by(model.id)).scalars().first()  # noqa: E731
    return {"organization_id": first(Organization), "run_id": first(SyncRun), "recurring_id": first(RecurringInvoice),
            "invoice_id": first(Invoice), "product_id": first(Product), "customer_id": first(VendorCustomer)}


def page_urls(app, ids: dict) -> list[str]:
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.rule.startswith(NOT_SCANNED):
            continue
        for slug in (VENDORS if "slug" in rule.arguments else (None,)):
            values = dict(ids, slug=slug)
            if rule.endpoint.startswith("destinations.") and rule.arguments:
                continue  # "slug" names an accounting provider there, none of which this demo connects
            if set(rule.arguments) <= {k for k, v in values.items() if v is not None}:
                urls.append(rule.build({arg: values[arg] for arg in rule.arguments})[1])
    return urls


def test_no_page_of_a_seeded_hub_shows_a_raw_value(app, client, auth, demo):
    ids = _ids()
    assert ids["invoice_id"] and ids["run_id"] and ids["recurring_id"], "the demo seeded too little to scan"
    slugs = list(db.session.execute(db.select(VendorIntegration.slug)).scalars())
    assert set(VENDORS) <= set(slugs)
    urls = page_urls(app, ids) + [f"/demo/vendor-console/?vendor={slug}" for slug in VENDORS]
    db.session.remove()
    auth.login("admin")
    found, scanned = {}, 0
    for url in urls:
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        scanned += 1
        raw = raw_values(visible_text(response.get_data(as_text=True)), slugs)
        if raw:
            found[url] = raw
    assert scanned >= 30, f"only {scanned} pages scanned"
    assert not found, "\n".join(f"{url}: {word!r} in ...{context}..." for url, raw in found.items()
                                 for word, context in raw.items())
