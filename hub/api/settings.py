"""Admin settings: the company's details printed on every invoice (and its logo), the SMTP server
invoices are e-mailed through, with "send a test e-mail" before saving, and the invoice e-mail's template.

Thin over ``hub.delivery.company``, ``hub.delivery.smtp`` and ``hub.delivery.templates``, the services of
the panel's settings pages (checks, encryption and audit live there). The SMTP password is write-only: answers say only
whether one is stored. Admins only, as in the panel.
"""

from __future__ import annotations

from dataclasses import dataclass

import marshmallow as ma
from hub.api.auth import actor
from hub.api.etag import check_if_match, uses_if_match, with_etag
from hub.api.problems import fail, service_error
from hub.api.spec import Blueprint
from hub.delivery import company, smtp, templates
from hub.billing.errors import BillingError
from hub.extensions import db
from hub.models import SmtpSecurity
from hub.web.access import ADMIN, roles

blp = Blueprint("v1_settings", __name__, tag="Settings")

SECURITIES = [s.value for s in SmtpSecurity]


class CompanySettingsSchema(ma.Schema):
    """The limits are the service's (``hub.delivery.company``), which names every bad field at once."""

    name = ma.fields.String(metadata={"description": "printed on invoices; required, at most 200 characters"})
    address = ma.fields.String(allow_none=True)
    tax_id = ma.fields.String(allow_none=True, metadata={"description": "at most 100 characters"})
    payment_due_days = ma.fields.Integer(metadata={"description": "0 to 365: the payment terms new recurring "
                                                                  "invoices start with"})
    payment_instructions = ma.fields.String(allow_none=True)
    footer = ma.fields.String(allow_none=True)
    logo_type = ma.fields.String(dump_only=True, allow_none=True,
                                 metadata={"description": "image/png or image/jpeg; null without a logo"})
    logo_bytes = ma.fields.Integer(dump_only=True)


class LogoUploadSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                                  "description": f"PNG or JPEG, at most {company.MAX_LOGO_BYTES // 1024} KB "
                                                                 f"and {company.MAX_LOGO_PIXELS} pixels a side"})


class SmtpSchema(ma.Schema):
    """The checks are the service's (``hub.delivery.smtp``), which names every bad field at once."""

    configured = ma.fields.Boolean(dump_only=True)
    host = ma.fields.String(required=True, allow_none=True)
    port = ma.fields.Integer(load_default=None, allow_none=True,
                             metadata={"description": "1 to 65535; null: the security's usual port (587, 465, 25)"})
    security = ma.fields.String(required=True, allow_none=True, metadata={"enum": SECURITIES})
    username = ma.fields.String(load_default=None, allow_none=True)
    from_address = ma.fields.String(required=True, allow_none=True)
    from_name = ma.fields.String(load_default=None, allow_none=True)
    password = ma.fields.String(load_only=True, load_default=None, allow_none=True,
                                validate=ma.validate.Length(max=1000),
                                metadata={"description": "write-only; left out or empty keeps the stored one"})
    password_set = ma.fields.Boolean(dump_only=True, metadata={"description": "whether a password is stored"})


class SmtpSaveSchema(SmtpSchema):
    clear_password = ma.fields.Boolean(load_default=False, metadata={"description": "remove the stored password"})
    check_connection = ma.fields.Boolean(load_default=True,
                                         metadata={"description": "connect (and sign in) before saving"})


class SmtpTestSchema(SmtpSchema):
    test_to = ma.fields.String(required=True, metadata={"description": "where the test e-mail goes"})


class SmtpTestResultSchema(ma.Schema):
    sent = ma.fields.Boolean()
    to = ma.fields.String()
    reply = ma.fields.String(metadata={"description": "the server's answer to the message"})


class EmailTemplateSchema(ma.Schema):
    """The checks are the service's (``hub.delivery.templates``), which names every bad field at once."""

    subject = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    placeholders = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), dump_only=True,
                                  metadata={"description": "the {names} subject and body may use, with what "
                                                           "each becomes"})


@dataclass
class SmtpView:
    configured: bool
    host: str | None
    port: int | None
    security: str | None
    username: str | None
    from_address: str | None
    from_name: str | None
    password_set: bool


def _company():
    row = company.get_company()
    if row.id is not None and row in db.session:
        db.session.refresh(row)  # the tag reflects what is stored, whoever changed it
    return {**{f: getattr(row, f) for f in company.FIELDS}, "logo_type": row.logo_mime if row.logo else None,
            "logo_bytes": len(row.logo or b"")}


def _smtp() -> SmtpView:
    row = smtp.get_settings()
    if row is None:
        return SmtpView(False, None, None, None, None, None, None, False)
    db.session.refresh(row)
    return SmtpView(True, row.host, row.port, row.security, row.username, row.from_address, row.from_name,
                    bool(row.password_token))


def _delivery_problem(err: BillingError):
    db.session.rollback()
    return service_error(err)


def _values(args: dict) -> dict:
    """The SMTP fields as the panel's form sends them (text; empty for none)."""
    return {f: "" if args.get(f) is None else str(args[f]) for f in smtp.FIELDS}


@blp.route("/settings/company", methods=["GET"])
@roles(read=ADMIN)
@blp.response(200, CompanySettingsSchema)
def get_company():
    """The company's details printed on every invoice, with the ETag."""
    return with_etag(CompanySettingsSchema, _company())


@blp.route("/settings/company", methods=["PATCH"])
@roles(read=ADMIN, change=ADMIN)
@uses_if_match
@blp.arguments(CompanySettingsSchema)
@blp.response(200, CompanySettingsSchema)
def update_company(args):
    """Change some of the company's details (each bad field named; none saved then). Audited per field."""
    check_if_match(CompanySettingsSchema, _company())
    try:
        company.update_company(args, actor())
    except BillingError as err:
        raise _delivery_problem(err) from None
    return with_etag(CompanySettingsSchema, _company())


@blp.route("/settings/company/logo", methods=["PUT"])
@roles(read=ADMIN, change=ADMIN)
@uses_if_match
@blp.arguments(LogoUploadSchema, location="multipart")
@blp.response(200, CompanySettingsSchema)
def set_logo(args):
    """Upload the logo (multipart/form-data, field `file`), checked by its content. Audited."""
    check_if_match(CompanySettingsSchema, _company())
    data = args["file"].stream.read(company.MAX_LOGO_BYTES + 1)  # a byte past the limit is enough to refuse
    try:
        company.set_logo(data, actor())
    except BillingError as err:
        db.session.rollback()
        fail(422, err.message, field="file", location="form")
    return with_etag(CompanySettingsSchema, _company())


@blp.route("/settings/company/logo", methods=["DELETE"])
@roles(read=ADMIN, change=ADMIN)
@uses_if_match
@blp.response(204)
def delete_logo():
    """Remove the logo (invoices print without one). Audited."""
    check_if_match(CompanySettingsSchema, _company())
    if company.get_company().logo:
        company.set_logo(None, actor())
    return None


@blp.route("/settings/smtp", methods=["GET"])
@roles(read=ADMIN)
@blp.response(200, SmtpSchema)
def get_smtp():
    """The SMTP settings (`configured` false before the first save); the password only as `password_set`."""
    return with_etag(SmtpSchema, _smtp())


@blp.route("/settings/smtp", methods=["PUT"])
@roles(read=ADMIN, change=ADMIN)
@uses_if_match
@blp.arguments(SmtpSaveSchema)
@blp.response(200, SmtpSchema)
def save_smtp(args):
    """Check every field, try the connection (unless `check_connection` is false), then save. An empty
    password keeps the stored one. Audited per field; the password only as changed."""
    check_if_match(SmtpSchema, _smtp())
    try:
        smtp.save_settings(_values(args), args["password"], actor(), clear_password=args["clear_password"],
                           check_connection=args["check_connection"])
    except BillingError as err:
        raise _delivery_problem(err) from None
    return with_etag(SmtpSchema, _smtp())


@blp.route("/settings/smtp/test", methods=["POST"])
@roles(read=ADMIN, change=ADMIN)
@blp.arguments(SmtpTestSchema)
@blp.response(200, SmtpTestResultSchema)
def send_test(args):
    """Send a test e-mail with these settings (saved or not; an empty password uses the stored one).
    Saves nothing; a refusal is a 422 naming `host` or `password` with the server's answer. Audited."""
    try:
        reply = smtp.send_test(_values(args), args["password"], args["test_to"], actor())
    except BillingError as err:
        raise _delivery_problem(err) from None
    return {"sent": True, "to": args["test_to"].strip(), "reply": reply}


class TemplateKindArgs(ma.Schema):
    kind = ma.fields.String(load_default=templates.INVOICE, validate=ma.validate.OneOf(list(templates.KINDS)),
                            metadata={"description": "which e-mail: the invoice's (the default) or the credit note's"})


def _template(kind: str) -> dict:
    db.session.expire_all()  # the tag reflects what is stored, whoever changed it
    subject, body = templates.get_template(kind)
    return {"subject": subject, "body": body, "placeholders": dict(templates.KINDS[kind].placeholders)}


@blp.route("/settings/email-template", methods=["GET"])
@roles(read=ADMIN)
@blp.arguments(TemplateKindArgs, location="query", as_kwargs=True)
@blp.response(200, EmailTemplateSchema)
def get_email_template(kind: str):
    """The invoice (or, with `kind=credit_note`, the credit note) e-mail's subject and body (the defaults until
    one is saved), with the placeholders."""
    return with_etag(EmailTemplateSchema, _template(kind))


@blp.route("/settings/email-template", methods=["PUT"])
@roles(read=ADMIN, change=ADMIN)
@uses_if_match
@blp.arguments(TemplateKindArgs, location="query", as_kwargs=True)
@blp.arguments(EmailTemplateSchema)
@blp.response(200, EmailTemplateSchema)
def save_email_template(args, kind: str):
    """Save the invoice (or, with `kind=credit_note`, the credit note) e-mail's subject and body (each bad
    field named; none saved then). Audited per field."""
    check_if_match(EmailTemplateSchema, _template(kind))
    try:
        templates.update_template(args["subject"], args["body"], actor(), kind)
    except BillingError as err:
        raise _delivery_problem(err) from None
    return with_etag(EmailTemplateSchema, _template(kind))
