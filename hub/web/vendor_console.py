"""The demo's "Vendor console": play the vendor (change a count, add or delete a customer), then Sync now.

Exists only while ``hub serve --demo`` runs (404 otherwise), admins only, every change a CSRF-checked
POST. It edits the simulators' state through ``hub.demo_console``; the hub then learns of it the only way
it learns of a real vendor's changes: a sync through the plugin.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from hub import integrations
from hub.demo import demo_run
from hub.demo_console import ConsoleError, VendorConsole, consoles, find_customer, parse_count, parse_new_customer
from hub.web.access import ADMIN, roles

bp = Blueprint("vendor_console", __name__, url_prefix="/demo/vendor-console")


def _consoles() -> dict[str, VendorConsole]:
    demo = demo_run(current_app)
    if demo is None:
        abort(404)  # not a demo: there is no simulated vendor to play
    return consoles(demo.simulators)


def _console(slug: str) -> VendorConsole:
    found = _consoles().get(slug)
    if found is None:
        abort(404, f"No vendor console for {slug!r} in this demo.")
    return found


@bp.get("/")
@roles(read=ADMIN)
def index(errors: dict | None = None, values: dict | None = None, status: int = 200):
    found = _consoles()
    slug = request.view_args.get("slug") if request.view_args else None
    slug = slug or request.args.get("vendor") or next(iter(found), None)
    if slug not in found:
        slug = next(iter(found), None)
    console = found.get(slug)
    return render_template("vendor_console.html", vendors=list(found), slug=slug, console=console,
                           customers=console.customers() if console else [], names=integrations.display_names(),
                           errors=errors or {}, values=values or {}), status


def _after(slug: str, done: str):
    flash(f"{done} Now press Sync now to let the hub see it.", "success")
    return redirect(url_for(".index", vendor=slug) + "#sync")


def _refused(slug: str, err: ConsoleError, values: dict):
    request.view_args["slug"] = slug
    return index(errors=err.errors, values=values, status=400)


@bp.post("/<slug>/count")
@roles(read=ADMIN, change=ADMIN)
def set_count(slug: str):
    console = _console(slug)
    key, counter = request.form.get("customer", ""), request.form.get("counter", "")
    values = {"customer": key, "counter": counter, "count": request.form.get("count", "")}
    try:
        customer = find_customer(console, key)
        if counter not in console.counters:
            raise ConsoleError({"counter": "Choose one of the counts the vendor keeps."})
        value = parse_count(request.form.get("count"), f"count-{key}-{counter}")
    except ConsoleError as err:
        return _refused(slug, err, values)
    console.set_count(key, counter, value)
    return _after(slug, f"{customer.name} now has {value} {console.counters[counter]} at the vendor.")


@bp.post("/<slug>/add")
@roles(read=ADMIN, change=ADMIN)
def add_customer(slug: str):
    console = _console(slug)
    values = {"name": request.form.get("name", ""), "count": request.form.get("count", "")}
    try:
        name, count = parse_new_customer(values["name"], values["count"])
        console.add_customer(name, count)
    except ConsoleError as err:
        return _refused(slug, err, values)
    except ValueError as err:  # the simulator refuses it (a name it already has, say)
        return _refused(slug, ConsoleError({"name": str(err)[:200]}), values)
    return _after(slug, f"{name} is now a customer at the vendor, with {count}.")


@bp.post("/<slug>/delete")
@roles(read=ADMIN, change=ADMIN)
def delete_customer(slug: str):
    console = _console(slug)
    try:
        customer = find_customer(console, request.form.get("customer", ""))
        console.delete_customer(customer.key)
    except ConsoleError as err:
        return _refused(slug, err, {})
    except ValueError as err:  # e.g. a partner that still has customers
        return _refused(slug, ConsoleError({"customer": str(err)[:200]}), {})
    return _after(slug, f"{customer.name} was deleted at the vendor.")
