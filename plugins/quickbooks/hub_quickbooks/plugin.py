"""The hub's destination hooks for QuickBooks Online. Each maps client results to hub records."""

from __future__ import annotations

from decimal import Decimal

from hub.plugins import (ConnectionCheck, DemoSimulator, DestinationAccount, DestinationInfo, ExternalRecord,
                         OAuthSettings, PaymentStatus, VendorConfigError, hookimpl)

from . import __version__
from .client import QboClient, QboFault, escape, revoke
from . import credit_memos
from .invoices import push, void
from .schema import QuickBooksConfig

DUPLICATE_NAME = "6240"
LISTS = {"customer": ("Customer", "DisplayName"), "item": ("Item", "Name"), "tax_code": ("TaxCode", "Name")}


@hookimpl
def hub_destination_info():
    return DestinationInfo(
        slug="quickbooks",
        display_name="QuickBooks Online",
        version=__version__,
        description="Pushes issued invoices and credit notes (with their customers and items) to QuickBooks Online.",
        config_schema=QuickBooksConfig,
        oauth=OAuthSettings(authorize_url="https://appcenter.intuit.com/connect/oauth2",
                            token_url="https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
                            revoke_url="https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
                            scopes=("com.intuit.quickbooks.accounting",)),
        docs_url="https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice",
        # 500 requests per minute per realm, batches included; 40 batch requests per minute; 10 at once
        requests_per_second=500 / 60,
        rate_limits={"batch": 40 / 60},
        max_concurrency=10,
        max_batch=30,
    )


@hookimpl
def hub_destination_accounts(config, session, auth, callback):
    realm = str(callback.get("realmId") or "").strip()
    if not realm:
        raise VendorConfigError("QuickBooks sent no realmId (company) with the sign-in answer", field="realmId")
    client = QboClient(config, session, type(auth)(auth.access_token, realm))
    return [DestinationAccount(realm, _company_name(client, realm))]


def _company_name(client: QboClient, realm: str) -> str:
    info = client.request("GET", f"/companyinfo/{realm}").get("CompanyInfo") or {}
    return str(info.get("CompanyName") or realm)


@hookimpl
def hub_destination_test_connection(config, session, auth):
    client = QboClient(config, session, auth)
    name = _company_name(client, auth.account_id)
    return ConnectionCheck(ok=True, message=f"Connected to QuickBooks company {name}", account_name=name)


@hookimpl
def hub_destination_list(config, session, auth, kind):
    if kind not in LISTS:
        raise VendorConfigError(f"QuickBooks lists no {kind!r}", field="kind")
    entity, name_field = LISTS[kind]
    client = QboClient(config, session, auth)
    rows = list(client.query_all(entity, "Active = true"))
    percents = _sales_percents(client, rows) if kind == "tax_code" else {}
    for row in rows:
        extra = {"percent": percents.get(str(row["Id"]))} if kind == "tax_code" else {}
        yield ExternalRecord(str(row["Id"]), str(row.get(name_field) or row.get("Name") or row["Id"]), extra)


def _sales_percents(client: QboClient, codes: list[dict]) -> dict[str, Decimal]:
    """TaxCode id -> the sum of its sales TaxRates' RateValue (what auto-match compares by percent)."""
    rates = {str(r["Id"]): Decimal(str(r.get("RateValue") or 0)) for r in client.query_all("TaxRate", "Active = true")}
    percents = {}
    for code in codes:
        details = ((code.get("SalesTaxRateList") or {}).get("TaxRateDetail")) or []
        percents[str(code["Id"])] = sum((rates.get(str((d.get("TaxRateRef") or {}).get("value")), Decimal(0))
                                         for d in details), Decimal(0))
    return percents


@hookimpl
def hub_destination_customer(config, session, auth, customer):
    client = QboClient(config, session, auth)
    # DisplayName is unique across customers, vendors and employees: look up, create, and on a
    # duplicate name that is not a customer (a vendor of the same name) create "<name> (Customer)"
    for name in (customer.name[:100], f"{customer.name[:89]} (Customer)"):
        found = client.find_one("Customer", "DisplayName", name)
        if found is not None:
            return ExternalRecord(str(found["Id"]), str(found["DisplayName"]))
        body = {"DisplayName": name, "CompanyName": customer.name[:100]}
        if customer.email:
            body["PrimaryEmailAddr"] = {"Address": customer.email}
        try:
            made = client.create("Customer", body)
        except QboFault as err:
            if DUPLICATE_NAME in err.codes:
                continue
            raise
        return ExternalRecord(str(made["Id"]), str(made["DisplayName"]))
    raise VendorConfigError(f"QuickBooks holds the names {customer.name!r} and {customer.name + ' (Customer)'!r} "
                            "for records that are not customers; map the Organization by hand", field="DisplayName")


@hookimpl
def hub_destination_item(config, session, auth, product):
    client = QboClient(config, session, auth)
    name = product.name[:100]
    found = client.find_one("Item", "Name", name)
    if found is not None:
        return ExternalRecord(str(found["Id"]), str(found["Name"]))
    account = product.income_account or config.get("income_account") or _first_income_account(client)
    made = client.create("Item", {"Name": name, "Type": "Service", "IncomeAccountRef": {"value": account},
                                  "UnitPrice": product.unit_price, "Description": (product.description or "")[:4000],
                                  "Sku": product.code[:100]})
    return ExternalRecord(str(made["Id"]), str(made["Name"]))


def _first_income_account(client: QboClient) -> str:
    rows = client.query(f"select * from Account where AccountType = {escape('Income')} MAXRESULTS 1").get("Account")
    if not rows:
        raise VendorConfigError("the QuickBooks company has no Income account; set income_account", field="income_account")
    return str(rows[0]["Id"])


@hookimpl
def hub_destination_push_invoices(config, session, auth, invoices):
    return push(QboClient(config, session, auth), config, list(invoices))


@hookimpl
def hub_destination_push_credit_notes(config, session, auth, credit_notes):
    return credit_memos.push(QboClient(config, session, auth), config, list(credit_notes))


@hookimpl
def hub_destination_void_invoice(config, session, auth, external_id):
    void(QboClient(config, session, auth), external_id)


@hookimpl
def hub_destination_payment_status(config, session, auth, external_ids):
    if not external_ids:
        return []
    client = QboClient(config, session, auth)
    rows = client.query(f"select * from Invoice where Id IN ({', '.join(escape(i) for i in external_ids)})")
    # a voided invoice also has Balance 0, but its TotalAmt is 0 too: paid means nothing owed on a real amount
    return [PaymentStatus(str(r["Id"]), paid=_money(r, "Balance") == 0 and _money(r, "TotalAmt") != 0,
                          balance=_money(r, "Balance")) for r in rows.get("Invoice") or []]


def _money(row: dict, key: str) -> Decimal:
    return Decimal(str(row.get(key, 0)))


@hookimpl
def hub_destination_revoke_tokens(config, session, refresh_token, access_token):
    # Intuit's revoke takes JSON {"token": ...}; the refresh token ends the whole grant
    revoke(config, session, refresh_token or access_token)


@hookimpl
def hub_destination_simulator():
    from .simulator import SIM_CLIENT_ID, SIM_CLIENT_SECRET, make_app

    return DemoSimulator(
        make_app=make_app,
        config_for=lambda base_url: {"client_id": SIM_CLIENT_ID, "client_secret": SIM_CLIENT_SECRET,
                                     "base_url": base_url, "authorize_url": f"{base_url}/connect/oauth2",
                                     "token_url": f"{base_url}/oauth2/v1/tokens/bearer",
                                     "revoke_url": f"{base_url}/v2/oauth2/tokens/revoke"},
    )
