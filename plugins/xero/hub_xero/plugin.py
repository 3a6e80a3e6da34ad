"""The hub's destination hooks for Xero. Each maps client results to hub records."""

from __future__ import annotations

from decimal import Decimal

from hub.plugins import (ConnectionCheck, DemoSimulator, DestinationAccount, DestinationInfo, ExternalRecord,
                         OAuthSettings, PaymentStatus, VendorConfigError, hookimpl)

from . import __version__
from .client import XeroClient, XeroValidation, revoke, where_literal
from . import credit_notes as credit_notes_module
from .invoices import push, void
from .schema import DEFAULT_SCOPES, XeroConfig


@hookimpl
def hub_destination_info():
    return DestinationInfo(
        slug="xero",
        display_name="Xero",
        version=__version__,
        description="Pushes issued invoices and credit notes (and their contacts and items) to a Xero organisation.",
        config_schema=XeroConfig,
        oauth=OAuthSettings(authorize_url="https://login.xero.com/identity/connect/authorize",
                            token_url="https://identity.xero.com/connect/token",
                            revoke_url="https://identity.xero.com/connect/revocation",
                            scopes=tuple(DEFAULT_SCOPES.split()), pkce=True),
        docs_url="https://developer.xero.com/documentation/api/accounting/invoices",
        # 60 calls a minute, 5 at once, per organisation (5,000 a day)
        requests_per_second=1.0,
        max_concurrency=5,
        max_batch=50,
        customer_noun="contact",
    )


@hookimpl
def hub_destination_accounts(config, session, auth, callback):
    # one consent may connect several organisations: the admin picks one (never connections[0] blindly)
    return [DestinationAccount(str(c["tenantId"]), str(c.get("tenantName") or c["tenantId"]))
            for c in XeroClient(config, session, auth, tenant=False).connections()
            if c.get("tenantType") == "ORGANISATION" and c.get("tenantId")]


@hookimpl
def hub_destination_test_connection(config, session, auth):
    organisations = (XeroClient(config, session, auth).request("GET", "/Organisation") or {}).get("Organisations") or []
    name = str((organisations[0] if organisations else {}).get("Name") or auth.account_id)
    return ConnectionCheck(ok=True, message=f"Connected to the Xero organisation {name}", account_name=name)


@hookimpl
def hub_destination_list(config, session, auth, kind):
    client = XeroClient(config, session, auth)
    if kind == "customer":
        for c in client.pages("/Contacts", "Contacts", {"where": 'ContactStatus=="ACTIVE"'}):
            yield ExternalRecord(str(c["ContactID"]), str(c.get("Name") or c["ContactID"]))
    elif kind == "item":
        for i in (client.request("GET", "/Items") or {}).get("Items") or []:
            yield ExternalRecord(str(i["ItemID"]), str(i.get("Name") or i.get("Code")), {"code": i.get("Code")})
    elif kind == "tax_code":
        for t in (client.request("GET", "/TaxRates") or {}).get("TaxRates") or []:
            if t.get("Status", "ACTIVE") == "ACTIVE":
                yield ExternalRecord(str(t["TaxType"]), str(t.get("Name") or t["TaxType"]),
                                     {"percent": t.get("EffectiveRate")})
    else:
        raise VendorConfigError(f"Xero lists no {kind!r}", field="kind")


def _contact_named(client: XeroClient, name: str) -> dict | None:
    literal = where_literal(name)
    if literal is not None:
        params = {"where": f"Name=={literal}", "page": 1}
    else:
        params = {"searchTerm": name, "page": 1}
    rows = (client.request("GET", "/Contacts", params=params) or {}).get("Contacts") or []
    return next((c for c in rows if c.get("Name") == name and c.get("ContactStatus", "ACTIVE") == "ACTIVE"), None)


@hookimpl
def hub_destination_customer(config, session, auth, customer):
    client = XeroClient(config, session, auth)
    # ContactNumber is Xero's external reference: look up by it, then by name, then create
    by_ref = (client.request("GET", f"/Contacts/{customer.reference}", missing_ok=True) or {}).get("Contacts") or []
    found = by_ref[0] if by_ref else _contact_named(client, customer.name)
    if found is None:
        contact = {"Name": customer.name[:255], "ContactNumber": customer.reference[:50]}
        if customer.email:
            contact["EmailAddress"] = customer.email
        try:
            found = (client.request("PUT", "/Contacts", body={"Contacts": [contact]}) or {})["Contacts"][0]
        except XeroValidation:
            found = _contact_named(client, customer.name)  # made meanwhile: names are unique among active contacts
            if found is None:
                raise
    return ExternalRecord(str(found["ContactID"]), str(found["Name"]))


@hookimpl
def hub_destination_item(config, session, auth, product):
    client = XeroClient(config, session, auth)
    code = product.code[:30]
    found = (client.request("GET", f"/Items/{code}", missing_ok=True) or {}).get("Items") or []
    if found:
        return ExternalRecord(str(found[0]["ItemID"]), str(found[0].get("Name") or code), {"code": code})
    sales = {"UnitPrice": product.unit_price, "AccountCode": product.income_account or config["sales_account_code"]}
    if config.get("default_tax_type"):
        sales["TaxType"] = config["default_tax_type"]
    made = (client.request("PUT", "/Items", body={"Items": [{"Code": code, "Name": product.name[:50],
                                                              "Description": (product.description or product.name)[:4000],
                                                              "SalesDetails": sales}]}) or {})["Items"][0]
    return ExternalRecord(str(made["ItemID"]), str(made.get("Name") or code), {"code": code})


@hookimpl
def hub_destination_push_invoices(config, session, auth, invoices):
    return push(XeroClient(config, session, auth), config, list(invoices))


@hookimpl
def hub_destination_push_credit_notes(config, session, auth, credit_notes):
    return credit_notes_module.push(XeroClient(config, session, auth), config, list(credit_notes))


@hookimpl
def hub_destination_void_invoice(config, session, auth, external_id):
    void(XeroClient(config, session, auth), external_id)


@hookimpl
def hub_destination_payment_status(config, session, auth, external_ids):
    if not external_ids:
        return []
    rows = (XeroClient(config, session, auth).request("GET", "/Invoices", params={
        "IDs": ",".join(external_ids), "page": 1}) or {}).get("Invoices") or []
    return [PaymentStatus(str(r["InvoiceID"]), paid=r.get("Status") == "PAID",
                          balance=Decimal(str(r.get("AmountDue", 0)))) for r in rows]


@hookimpl
def hub_destination_revoke_tokens(config, session, refresh_token, access_token):
    # revoking the refresh token removes every connection (tenant) of the grant
    revoke(config, session, refresh_token or access_token)


@hookimpl
def hub_destination_simulator():
    from .simulator import SIM_CLIENT_ID, SIM_CLIENT_SECRET, make_app

    return DemoSimulator(
        make_app=make_app,
        config_for=lambda base_url: {"client_id": SIM_CLIENT_ID, "client_secret": SIM_CLIENT_SECRET,
                                     "base_url": base_url, "authorize_url": f"{base_url}/identity/connect/authorize",
                                     "token_url": f"{base_url}/connect/token",
                                     "revoke_url": f"{base_url}/connect/revocation"},
    )
