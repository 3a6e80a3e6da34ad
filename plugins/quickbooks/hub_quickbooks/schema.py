"""The QuickBooks destination's settings, shown in the App Center."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

PRODUCTION = "https://quickbooks.api.intuit.com"
SANDBOX = "https://sandbox-quickbooks.api.intuit.com"


class QuickBooksConfig(Schema):
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=200),
                              metadata={"description": "OAuth client id of your Intuit app"})
    client_secret = fields.String(required=True, validate=validate.Length(min=1, max=200),
                                  metadata={"secret": True, "description": "OAuth client secret of your Intuit app"})
    base_url = fields.Url(load_default=PRODUCTION, require_tld=False,
                          metadata={"description": f"API host: {PRODUCTION} or the sandbox {SANDBOX}"})
    authorize_url = fields.Url(load_default=None, allow_none=True, require_tld=False,
                               metadata={"description": "Override of Intuit's authorize URL (leave empty)"})
    token_url = fields.Url(load_default=None, allow_none=True, require_tld=False,
                           metadata={"description": "Override of Intuit's token URL (leave empty)"})
    revoke_url = fields.Url(load_default=None, allow_none=True, require_tld=False,
                            metadata={"description": "Override of Intuit's token revocation URL (leave empty)"})
    minor_version = fields.Integer(load_default=75, validate=validate.Range(min=75),
                                   metadata={"description": "Accounting API minorversion (75 or newer)"})
    income_account = fields.String(load_default=None, allow_none=True,
                                   metadata={"description": "Income account id for items the hub creates"})
    default_tax_code = fields.String(load_default=None, allow_none=True,
                                     metadata={"description": "TaxCode id for lines without a mapped tax code "
                                                              "(US: TAX / NON)"})
