"""The MSP's own details, printed on every invoice: name, address, logo, tax id, payment terms,
payment instructions and footer. One row; every change is audited (the logo by its size and hash)."""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

from hub.audit import Actor, record
from hub.billing import validate
from hub.delivery.errors import DeliveryError, DeliveryFieldErrors
from hub.extensions import db
from hub.models import CompanySettings

FIELDS = ("name", "address", "tax_id", "payment_due_days", "payment_instructions", "footer")
#: a logo is drawn about 5 cm wide: half a megabyte and 2,000 pixels are plenty
MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_PIXELS = 2000
#: raster formats only (an SVG can carry scripts and external references)
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


def get_company() -> CompanySettings:
    """The settings row, or an unsaved blank one (nothing is written by reading)."""
    return db.session.get(CompanySettings, 1) or CompanySettings(id=1, name="", payment_due_days=30)


def _row() -> CompanySettings:
    """The settings row, added to the session when there is none yet (for writing)."""
    company = db.session.get(CompanySettings, 1)
    if company is None:
        company = CompanySettings(id=1, name="", payment_due_days=30)
        db.session.add(company)
    return company


def _clean_one(key: str, value: Any) -> Any:
    if key not in FIELDS:
        raise DeliveryError(f"{key} is not a company setting", key)
    if key == "name":
        return validate.text(value, key, max_len=200)
    if key == "tax_id":
        return validate.text(value, key, max_len=100, required=False)
    if key == "payment_due_days":
        return validate.integer(value, key, minimum=0, maximum=365)
    return validate.text(value, key, max_len=5000, required=False)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Every field checked; all the bad ones reported at once (``DeliveryFieldErrors``)."""
    return validate.each_field(values, _clean_one, DeliveryFieldErrors)


def update_company(values: dict[str, Any], actor: Actor) -> CompanySettings:
    """Save the given fields (all checked first: a bad one changes nothing). Commits."""
    clean = _clean(values)
    company = _row()
    for key, value in clean.items():
        old = getattr(company, key)
        if old != value:
            setattr(company, key, value)
            record(actor, "company.update", "company_settings", 1, field=key, old=old, new=value)
    db.session.commit()
    return company


def check_logo(data: bytes) -> str:
    """The MIME type of an acceptable logo, or a DeliveryError naming ``logo``."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise DeliveryError("Logo: choose an image file", "logo")
    if len(data) > MAX_LOGO_BYTES:
        raise DeliveryError(f"Logo: the file is {len(data) // 1024} KB; at most {MAX_LOGO_BYTES // 1024} KB", "logo")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, size = image.format, image.size
            image.verify()  # a truncated or corrupt file fails here, not in the PDF renderer
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise DeliveryError("Logo: choose a PNG or JPEG image", "logo") from None
    if kind not in LOGO_TYPES:
        raise DeliveryError(f"Logo: choose a PNG or JPEG image, not {kind}", "logo")
    if max(size) > MAX_LOGO_PIXELS:
        raise DeliveryError(f"Logo: the image is {size[0]}x{size[1]} pixels; at most {MAX_LOGO_PIXELS} on a side", "logo")
    return LOGO_TYPES[kind]


def set_logo(data: bytes | None, actor: Actor) -> CompanySettings:
    """Store a new logo (checked by its content, not its name), or remove it with ``None``. Commits."""
    mime = None if data is None else check_logo(data)
    company = _row()
    old = _fingerprint(company.logo)
    company.logo, company.logo_mime = data, mime
    record(actor, "company.logo", "company_settings", 1, field="logo", old=old, new=_fingerprint(data))
    db.session.commit()
    return company


def _fingerprint(data: bytes | None) -> str | None:
    return None if not data else f"{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}"


def logo_data_uri(company: CompanySettings) -> str | None:
    """The logo inline (the printable page's CSP allows data: images; the PDF needs no file)."""
    if not company.logo:
        return None
    return f"data:{company.logo_mime};base64,{base64.b64encode(company.logo).decode()}"


def default_due_days() -> int:
    """Payment terms: the due days a new recurring invoice starts with."""
    return get_company().payment_due_days
