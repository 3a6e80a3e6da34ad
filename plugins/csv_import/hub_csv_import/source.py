"""Fetching the file's bytes: an export link (through the hub's session), a file, or a folder's newest file."""

from __future__ import annotations

import os
from pathlib import Path

from hub.plugins import VendorConfigError, VendorDataError, VendorSession, raise_for_vendor_status

#: a bigger file is not a license listing (and would not fit a sync's memory budget)
MAX_BYTES = 200 * 1024 * 1024


def read_source(config: dict, session: VendorSession) -> tuple[str, bytes]:
    """``(name of what was read, its bytes)``."""
    source = config["source"]
    if source.startswith(("http://", "https://")):
        headers = {"Authorization": f"Bearer {config['token']}"} if config.get("token") else {}
        response = session.get(source, headers=headers)
        if response.status_code >= 400:
            raise_for_vendor_status(response, session)
        data = response.content
        if len(data) > MAX_BYTES:
            raise VendorDataError(f"the export is larger than {MAX_BYTES // 2**20} MB")
        return session.redact(source), data
    path = Path(source)
    if path.is_dir():
        path = newest_csv(path)
    if not path.is_file():
        raise VendorConfigError(f"{path} does not exist (any more)", field="source")
    if path.suffix.lower() != ".csv":
        raise VendorConfigError(f"{path.name} is not a .csv file", field="source")
    if path.stat().st_size > MAX_BYTES:
        raise VendorDataError(f"{path.name} is larger than {MAX_BYTES // 2**20} MB")
    return path.name, path.read_bytes()


def newest_csv(folder: Path) -> Path:
    """The folder's most recently changed ``.csv`` file (by name when two are as new)."""
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv"]
    if not files:
        raise VendorConfigError(f"the folder {folder} holds no .csv file yet", field="source")
    return max(files, key=lambda p: (os.stat(p).st_mtime_ns, p.name))
