"""Signing secrets and signatures per the Standard Webhooks specification, with its reference library.

A secret is ``whsec_`` + base64 of 32 random bytes. It is stored Fernet-encrypted (the hub's
``SecretBox``) and shown once: when an endpoint is registered and when its secret is rotated.
After a rotation the previous secret keeps signing too (a second signature in the same header)
for ``ROTATION_GRACE``, so a receiver can switch over without dropping events.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta, timezone

from standardwebhooks import Webhook

from hub.security.secrets import SecretBox

PREFIX = "whsec_"
ROTATION_GRACE = timedelta(hours=24)


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def seal(box: SecretBox, secret: str) -> str:
    return box.encrypt({"secret": secret})


def unseal(box: SecretBox, token: str) -> str:
    return box.decrypt(token)["secret"]


def signed_headers(secrets_: list[str], msg_id: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt: ``at`` (UTC) is the attempt's time, not the event's."""
    at = at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at
    signatures = " ".join(Webhook(s).sign(msg_id, at, body) for s in secrets_)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }
