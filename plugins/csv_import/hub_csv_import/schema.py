"""Where an imported vendor's file comes from, and how to read it.

Every error is keyed by the field it is about, so the panel and the CLI can point at it.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate


class Source(fields.String):
    """An ``https://`` export link, or an absolute path on the hub's server: a ``.csv`` file, or a
    folder whose newest ``.csv`` file is read (a watched folder). Only ``.csv`` files are ever read."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        parts = urlsplit(text)
        if parts.scheme in ("http", "https"):
            if not parts.hostname or parts.username or parts.password:
                raise ValidationError("give an export link like https://portal.example/export.csv "
                                      "(credentials go in the token field)")
            return text
        if parts.scheme and len(parts.scheme) > 1:  # a Windows drive letter is not a scheme
            raise ValidationError("give an https:// link or an absolute path on the hub's server")
        if not os.path.isabs(text):
            raise ValidationError("give an absolute path (a .csv file or a folder), or an https:// link")
        if not text.lower().endswith(".csv") and not os.path.isdir(text):
            raise ValidationError("a path must be a .csv file or an existing folder of .csv files")
        return os.path.normpath(text)


class CsvImportConfig(Schema):
    # "upload": the panel and `hub import csv` store an uploaded file and put its path here
    source = Source(required=True, metadata={
        "upload": ".csv", "label": "File, folder or export link",
        "description": "Uploads set this for you. A folder is watched: each sync reads its newest .csv file"})
    token = fields.String(load_default=None, allow_none=True, metadata={
        "secret": True, "label": "Bearer token", "description": "Only for an export link that needs one"})
    complete_listing = fields.Boolean(load_default=False, metadata={
        "ask_on_upload": True, "label": "The file lists every customer",
        "description": "On: customers missing from the file are Detached. Off: the file adds and "
                       "updates customers but never detaches anyone"})
    default_unit = fields.String(load_default="license", validate=validate.Length(min=1, max=40), metadata={
        "label": "Unit", "description": "The unit of SKUs whose rows name none (license, user, device, GB...)"})
