"""Encrypts vendor credentials at rest and keeps them out of anything shown or logged.

The key comes from ``HUB_ENCRYPTION_KEYS`` (comma-separated Fernet keys, newest first, so old keys
still decrypt while you rotate) or, on the embedded default, from a key file the hub writes once
into its instance folder with mode 0600.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

REDACTED = "***"
SECRET_WORDS = ("secret", "password", "token", "key", "credential")


class SecretsError(Exception):
    pass


class SecretBox:
    def __init__(self, keys: Iterable[str]) -> None:
        keys = [k.strip() for k in keys if k and k.strip()]
        if not keys:
            raise SecretsError("no encryption key configured (HUB_ENCRYPTION_KEYS)")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
        except (ValueError, TypeError) as err:
            raise SecretsError(f"HUB_ENCRYPTION_KEYS holds an invalid Fernet key: {err}") from None

    def encrypt(self, values: Mapping[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(dict(values), sort_keys=True).encode()).decode()

    def decrypt(self, token: str | None) -> dict[str, Any]:
        if not token:
            return {}
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise SecretsError("stored credentials cannot be decrypted with the configured keys") from None

    def rotate(self, token: str) -> str:
        return self._fernet.rotate(token.encode()).decode()


def load_or_create_key_file(path: Path) -> str:
    """The embedded default's key: created once, readable by the owner only."""
    return read_or_create(path, lambda: Fernet.generate_key().decode())


def read_or_create(path: Path, make: Callable[[], str]) -> str:
    """The text of ``path``; made by ``make`` and written owner-only if the file does not exist yet.
    Written whole under another name and linked into place, so processes racing to create it all read
    the first one's value, never a half-written file."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.draft")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make() + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    return path.read_text().strip()


def redact_mapping(data: Any, secret_fields: Iterable[str] = ()) -> Any:
    """A copy of ``data`` with secret fields, and any key that looks secret, replaced by ``***``."""
    secret_fields = set(secret_fields)
    if isinstance(data, Mapping):
        return {
            k: (REDACTED if (k in secret_fields or any(w in str(k).lower() for w in SECRET_WORDS)) and v
                else redact_mapping(v, secret_fields))
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [redact_mapping(v, secret_fields) for v in data]
    return data
