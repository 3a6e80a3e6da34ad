"""App Center: adding an integration of a plugin that allows several (a CSV import per vendor), and
importing a file: upload, see what it would change, then apply it.

The rules live in ``hub.integrations`` (instances) and ``hub.imports`` (files); these views read the
form, call them and show the outcome.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from hub import imports, integrations
from hub.extensions import db
from hub.models import SyncStatus
from hub.plugins import VendorError
from hub.sync import AlreadyRunning, SyncNotPossible
from hub.web.access import ADMIN, roles
from hub.web.appcenter import bp
from hub.web.helpers import actor

#: rows of each kind the preview lists (the totals are always shown)
PREVIEW_ROWS = 50


@bp.post("/<plugin>/instances")
@roles(read=ADMIN, change=ADMIN)
def add_instance(plugin: str):
    slug, name = request.form.get("slug", ""), request.form.get("display_name", "")
    try:
        added = integrations.add_instance(plugin, slug, name, actor())
    except VendorError as err:
        db.session.rollback()
        flash(f"{getattr(err, 'field', None) or 'Vendor'}: {err.message}", "error")
        return redirect(url_for(".index"))
    db.session.commit()
    flash(f"{added.display_name} added. Import its first file.", "success")
    return redirect(url_for(".import_file", slug=added.slug))


def _importing(slug: str):
    try:
        handle = imports.file_importer(slug)
    except VendorError as err:
        abort(404, err.message)
    found = integrations.get_integration(slug)
    name = (found.display_name if found else None) or handle.info.display_name
    options = [f for f in handle.info.config_schema().fields.values() if f.metadata.get("ask_on_upload")]
    return handle, found, name, options


@bp.route("/<slug>/import", methods=["GET", "POST"])
@roles(read=ADMIN, change=ADMIN)
def import_file(slug: str):
    handle, found, name, options = _importing(slug)
    chosen = {f.data_key or f.name: request.form.get(f.data_key or f.name) == "on" for f in options}
    if request.method == "GET":
        stored = (found.settings or {}) if found else {}
        chosen = {key: bool(stored.get(key, False)) for key in chosen}
        return render_template("appcenter/import.html", slug=slug, name=name, options=options, chosen=chosen,
                               preview=None, stored_name=None, error=None)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise VendorError("choose a file to import")
        stored_name = imports.store_upload(slug, upload.filename, upload.read(imports.MAX_UPLOAD_BYTES + 1))
        integrations.get_or_create_integration(slug)
        db.session.commit()
        preview = imports.preview_upload(slug, stored_name, chosen)
    except (VendorError, SyncNotPossible) as err:
        db.session.rollback()
        return render_template("appcenter/import.html", slug=slug, name=name, options=options, chosen=chosen,
                               preview=None, stored_name=None, error=getattr(err, "message", str(err))), 400
    db.session.rollback()  # a preview never writes
    return render_template("appcenter/import.html", slug=slug, name=name, options=options, chosen=chosen,
                           preview=preview, stored_name=stored_name, error=None, rows=PREVIEW_ROWS,
                           problems=getattr(preview.error, "problems", None))


@bp.post("/<slug>/import/apply")
@roles(read=ADMIN, change=ADMIN)
def apply_import(slug: str):
    handle, found, name, options = _importing(slug)
    chosen = {f.data_key or f.name: request.form.get(f.data_key or f.name) == "1" for f in options}
    try:
        run = imports.apply_upload(slug, request.form.get("stored_name", ""), chosen, actor())
    except AlreadyRunning:
        flash(f"A sync of {name} is running: apply the file again when it ends.", "warning")
        return redirect(url_for(".integration", slug=slug))
    except (VendorError, SyncNotPossible) as err:
        db.session.rollback()
        flash(f"Nothing applied: {getattr(err, 'message', str(err))}", "error")
        return redirect(url_for(".import_file", slug=slug))
    if run.status == SyncStatus.SUCCEEDED.value:
        flash(f"{name}: the file was applied ({run.customers_added} new, {run.customers_updated} updated, "
              f"{run.customers_detached} detached, {run.counts_changed} counts changed).", "success")
    elif run.status == SyncStatus.NEEDS_REVIEW.value:
        flash(f"{name}: {run.error_message}. Confirm or dismiss the review below.", "warning")
    else:
        flash(f"{name}: the import failed, nothing applied: {run.error_message}", "error")
    return redirect(url_for(".integration", slug=slug))
