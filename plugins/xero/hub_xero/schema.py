"""The Xero destination's settings, shown in the App Center."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

API = "https://api.xero.com"
#: apps created before 2 March 2026; newer apps replace accounting.transactions with accounting.invoices
DEFAULT_SCOPES = "offline_access accounting.transactions accounting.contacts accounting.settings"


class XeroConfig(Schema):
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=200),
                              metadata={"description": "OAuth client id of your Xero app"})
    client_secret = fields.String(required=True, validate=validate.Length(min=1, max=200),
                                  metadata={"secret": True, "description": "OAuth client secret of your Xero app"})
    base_url = fields.Url(load_default=API, require_tld=False,
                          metadata={"description": "API host (connections and Accounting API)"})
    authorize_url = fields.Url(load_default=None, allow_none=True, require_tld=False,
                               metadata={"description": "Override of Xero's authorize URL (leave empty)"})
    revoke_url = fields.Url(load_default=None, allow_none=True, require_tld=False,
                            metadata={"description": "Override of Xero's token revocation URL (leave empty)"})
    token_url = fields.Url(load_default=None, allow_none=True, require_tld=False,
                           metadata={"description": "Override of Xero's token URL (leave empty)"})
    scopes = fields.String(load_default=DEFAULT_SCOPES, validate=validate.Length(max=500),
                           metadata={"description": "Space-separated scopes; apps made after 2 March 2026 use "
                                                    "accounting.invoices instead of accounting.transactions"})
    sales_account_code = fields.String(load_default="200", validate=validate.Length(min=1, max=10),
                                       metadata={"description": "Revenue account code for invoice lines"})
    default_tax_type = fields.String(load_default=None, allow_none=True,
                                     metadata={"description": "TaxType for lines without a mapped tax code "
                                                              "(e.g. OUTPUT2, NONE)"})
