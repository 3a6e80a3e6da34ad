"""Importing a file into an integration whose plugin reads files (a CSV import per vendor).

A plugin marks the settings field that holds its file with ``metadata={"upload": ".csv"}`` and the
settings to ask with each upload with ``metadata={"ask_on_upload": True}``. The hub stores the
uploaded file in the instance folder, shows what a sync of it would do (``hub.sync.preview``), and
applies it only when a person says so: the settings are saved pointing at the file (tested and
audited like any configuration) and a normal sync runs, with the engine's rules and audit.
No plugin is named here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import current_app

from hub import integrations
from hub.audit import Actor
from hub.models import IntegrationState, SyncRun
from hub.plugins import VendorConfigError
from hub.plugin_host import VendorHandle
from hub.sync import run_sync
from hub.sync.preview import SyncPreview, preview_sync
from hub.timeutil import utcnow

#: an upload larger than this is refused before it is stored
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def upload_field(handle: VendorHandle) -> tuple[str, str] | None:
    """``(field name, required file suffix)`` of the plugin's upload field, or None."""
    for name, field in handle.info.config_schema().fields.items():
        suffix = field.metadata.get("upload")
        if suffix:
            return field.data_key or name, str(suffix)
    return None


def file_importer(slug: str) -> VendorHandle:
    """The plugin behind ``slug`` when it imports files; a VendorConfigError (field ``vendor``) when no
    plugin is loaded for it or its plugin reads no files (the panel and the API answer 404)."""
    handle = integrations.handle_for(slug)
    if upload_field(handle) is None:
        raise VendorConfigError(f"{slug} does not import files", field="vendor")
    return handle


def upload_options(handle: VendorHandle) -> list[str]:
    """Boolean settings asked with every upload (``metadata={"ask_on_upload": True}``)."""
    return [f.data_key or n for n, f in handle.info.config_schema().fields.items() if f.metadata.get("ask_on_upload")]


def store_upload(slug: str, filename: str, data: bytes) -> str:
    """Keeps the uploaded bytes in ``<instance>/uploads/<slug>/`` and returns the stored file's name."""
    field = _upload_field_or_error(slug)
    suffix = field[1]
    if not filename.lower().endswith(suffix):
        raise VendorConfigError(f"choose a {suffix} file (got {filename[:60]!r})", field="file")
    if not data:
        raise VendorConfigError("the file is empty", field="file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise VendorConfigError(f"the file is larger than {MAX_UPLOAD_BYTES // 2**20} MB", field="file")
    stem = _SAFE.sub("_", Path(filename).stem)[:60].strip("._") or "upload"
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{stem}{suffix}"
    folder = _folder(slug)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return name


def preview_upload(slug: str, stored_name: str, options: dict[str, Any]) -> SyncPreview:
    return preview_sync(slug, _settings(slug, stored_name, options))


def apply_upload(slug: str, stored_name: str, options: dict[str, Any], actor: Actor) -> SyncRun:
    """Point the integration at the file and sync it now (the panel and ``hub import``)."""
    point_at_upload(slug, stored_name, options, actor)
    return run_sync(slug, trigger="import", triggered_by=actor.label)


def point_at_upload(slug: str, stored_name: str, options: dict[str, Any], actor: Actor) -> None:
    """Save the integration's settings pointing at the file (tested, audited); the next sync imports it
    (``apply_upload`` runs it at once, the API in the background). A first import enables the
    integration (its customers then show in Customer Mapping); one an admin disabled stays disabled."""
    found = integrations.get_integration(slug)
    first = found is None or found.state == IntegrationState.NOT_CONFIGURED.value
    integrations.configure(slug, _settings(slug, stored_name, options), actor, enable=True if first else None)


def discard_upload(slug: str, stored_name: str) -> None:
    """Remove a stored upload nobody will apply (a file the preview refused)."""
    stored_path(slug, stored_name).unlink(missing_ok=True)


def file_problems(preview: SyncPreview) -> list[tuple[int, str]]:
    """``(line, message)`` for each bad line of a file the preview could not read (line 0: the whole
    file); empty when it read."""
    if preview.error is None:
        return []
    return list(getattr(preview.error, "problems", None) or [(0, preview.error.message)])


def _settings(slug: str, stored_name: str, options: dict[str, Any]) -> dict[str, Any]:
    field, _ = _upload_field_or_error(slug)
    handle = integrations.handle_for(slug)
    asked = set(upload_options(handle))
    unknown = sorted(set(options) - asked)
    if unknown:
        raise VendorConfigError(f"not asked with an upload: {', '.join(unknown)}", field=unknown[0])
    # every upload answers every asked setting: one not given is off (a file never detaches by default)
    return {field: str(stored_path(slug, stored_name)), **{key: False for key in asked}, **options}


def stored_path(slug: str, stored_name: str) -> Path:
    """A stored upload by its name; only names ``store_upload`` made, inside the integration's folder."""
    if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise VendorConfigError("no such upload", field="file")
    path = _folder(slug) / stored_name
    if not path.is_file():
        raise VendorConfigError("the uploaded file is gone: upload it again", field="file")
    return path


def _folder(slug: str) -> Path:
    return Path(current_app.instance_path) / "uploads" / slug


def _upload_field_or_error(slug: str) -> tuple[str, str]:
    field = upload_field(integrations.handle_for(slug))
    if field is None:
        raise VendorConfigError(f"{slug} does not import files", field="vendor")
    return field
