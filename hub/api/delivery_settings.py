"""Sending settings of billing data: an Organization's billing contacts (To and CC addresses) and a
recurring invoice's send-on-issue choice; each read with an ETag and set with If-Match.

Thin over ``hub.delivery.contacts`` and ``hub.delivery.outbox.set_send_on_issue``, the services the
panel's pages call (address checks and audit live there). Roles as the panel's: contacts are read and set
by billing and admins; everyone reads the send-on-issue choice, billing and admins set it.
"""

from __future__ import annotations

from dataclasses import dataclass

import marshmallow as ma

from hub.api.auth import actor
from hub.api.etag import check_if_match, uses_if_match, with_etag
from hub.api.problems import get_or_404, service_error
from hub.api.spec import Blueprint
from hub.delivery import contacts, outbox
from hub.delivery.errors import DeliveryError
from hub.extensions import db
from hub.models import Organization, RecurringDelivery, RecurringInvoice
from hub.web.access import ANYONE, BILLING, roles

blp = Blueprint("v1_delivery_settings", __name__, tag="Delivery settings")


def _addresses(**kwargs) -> ma.fields.List:
    return ma.fields.List(ma.fields.String(validate=ma.validate.Length(1, 320)),
                          validate=ma.validate.Length(max=contacts.MAX_ADDRESSES), **kwargs)


class ContactsSchema(ma.Schema):
    organization_id = ma.fields.Integer(dump_only=True)
    to = _addresses(required=True, metadata={"description": "one or more addresses invoices are sent to"})
    cc = _addresses(load_default=list, metadata={"description": "copied; an address also in `to` is dropped"})


class SendOnIssueSchema(ma.Schema):
    recurring_invoice_id = ma.fields.Integer(dump_only=True)
    send_on_issue = ma.fields.Boolean(required=True,
                                      metadata={"description": "e-mail each invoice when issued (false: by hand)"})


@dataclass
class Contacts:
    organization_id: int
    to: list
    cc: list


@dataclass
class SendOnIssue:
    recurring_invoice_id: int
    send_on_issue: bool


def _contacts(organization_id: int) -> Contacts:
    organization = get_or_404(Organization, organization_id, "Organization")
    found = contacts.get_contacts(organization.id)
    if found is not None:
        db.session.refresh(found)
    return Contacts(organization.id, list(found.to_addresses or []) if found else [],
                    list(found.cc_addresses or []) if found else [])


def _send_on_issue(recurring_id: int) -> SendOnIssue:
    recurring = get_or_404(RecurringInvoice, recurring_id, "recurring invoice")
    row = db.session.get(RecurringDelivery, recurring.id)
    if row is not None:
        db.session.refresh(row)
    return SendOnIssue(recurring.id, bool(row and row.send_on_issue))


@blp.route("/organizations/<id:organization_id>/billing-contacts", methods=["GET"])
@roles(read=BILLING)
@blp.response(200, ContactsSchema)
def get_billing_contacts(organization_id: int):
    """An Organization's billing contacts (empty lists when none are set), with the ETag."""
    return with_etag(ContactsSchema, _contacts(organization_id))


@blp.route("/organizations/<id:organization_id>/billing-contacts", methods=["PUT"])
@roles(read=BILLING, change=BILLING)
@uses_if_match
@blp.arguments(ContactsSchema)
@blp.response(200, ContactsSchema)
def set_billing_contacts(args, organization_id: int):
    """Replace the billing contacts; every address is checked first (a bad one names `to` or `cc`). Audited."""
    check_if_match(ContactsSchema, _contacts(organization_id))
    try:
        contacts.set_contacts(organization_id, args["to"], args["cc"], actor())
    except DeliveryError as err:
        db.session.rollback()
        raise service_error(err, ("organization_id",)) from None
    return with_etag(ContactsSchema, _contacts(organization_id))


@blp.route("/recurring-invoices/<id:recurring_id>/delivery", methods=["GET"])
@roles(read=ANYONE)
@blp.response(200, SendOnIssueSchema)
def get_send_on_issue(recurring_id: int):
    """Whether this schedule's invoices are e-mailed when issued, with the ETag."""
    return with_etag(SendOnIssueSchema, _send_on_issue(recurring_id))


@blp.route("/recurring-invoices/<id:recurring_id>/delivery", methods=["PUT"])
@roles(read=ANYONE, change=BILLING)
@uses_if_match
@blp.arguments(SendOnIssueSchema)
@blp.response(200, SendOnIssueSchema)
def set_send_on_issue(args, recurring_id: int):
    """Choose whether this schedule's invoices are e-mailed when issued. Audited."""
    check_if_match(SendOnIssueSchema, _send_on_issue(recurring_id))
    outbox.set_send_on_issue(recurring_id, args["send_on_issue"], actor())
    return with_etag(SendOnIssueSchema, _send_on_issue(recurring_id))
