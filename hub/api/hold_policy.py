"""An integration's hold policy: when a vendor line's lower count waits for a person. Read, and change
with If-Match; ``hub.billing.hold_policy`` validates and audits each changed field (as for the panel)."""

from __future__ import annotations

import marshmallow as ma

from hub.api.auth import actor
from hub.api.etag import check_if_match, uses_if_match, with_etag
from hub.api.fields import DecimalText
from hub.api.problems import service_error
from hub.api.spec import Blueprint
from hub.billing import hold_policy
from hub.billing.errors import BillingError
from hub.extensions import db
from hub.web.access import BILLING, roles

blp = Blueprint("v1_hold_policy", __name__, tag="Hold policy")


class HoldPolicySchema(ma.Schema):
    vendor = ma.fields.String(dump_only=True)
    hold_decrease_over_seats = ma.fields.Integer(
        allow_none=True, attribute="over_seats", validate=ma.validate.Range(0, 1_000_000),
        metadata={"description": "hold a decrease of more than this many seats; null: no such limit"})
    hold_decrease_over_pct = DecimalText(
        allow_none=True, attribute="over_pct",
        metadata={"description": "hold a decrease of more than this percent (0 to 100, 2 places); null: no limit"})
    hold_drop_to_zero = ma.fields.Boolean(attribute="drop_to_zero", metadata={"description": "hold a drop to zero"})
    hold_detached = ma.fields.Boolean(attribute="detached",
                                      metadata={"description": "hold a drop caused by a Detached vendor customer"})


class HoldPolicyChangeSchema(HoldPolicySchema):
    """Any of the four rules; those left out stay as they are."""


def _policy(slug: str) -> hold_policy.HoldPolicyView:
    try:
        return hold_policy.get_hold_policy(slug)
    except BillingError as err:
        raise service_error(err, ("vendor",)) from None


@blp.route("/integrations/<slug>/hold-policy", methods=["GET"])
@roles(read=BILLING)
@blp.response(200, HoldPolicySchema)
def get_hold_policy(slug: str):
    """The integration's hold policy (with its ETag)."""
    return with_etag(HoldPolicySchema, _policy(slug))


@blp.route("/integrations/<slug>/hold-policy", methods=["PATCH"])
@roles(read=BILLING, change=BILLING)
@uses_if_match
@blp.arguments(HoldPolicyChangeSchema)
@blp.response(200, HoldPolicySchema)
def update_hold_policy(args, slug: str):
    """Change some or all of the four rules; applies from the next recalculation (held changes stay held)."""
    check_if_match(HoldPolicySchema, _policy(slug))
    names = {field.attribute: name for name, field in HoldPolicyChangeSchema().fields.items() if field.attribute}
    try:
        view = hold_policy.update_hold_policy(slug, actor(), **{names[k]: v for k, v in args.items()})
    except BillingError as err:
        db.session.rollback()
        raise service_error(err) from None
    return with_etag(HoldPolicySchema, view)
