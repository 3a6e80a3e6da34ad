"""``hub_test_connection``: the key works, has the APIs a sync needs, and reaches the right company."""

from __future__ import annotations

from hub.plugins import ConnectionCheck, VendorConfigError, VendorDataError, VendorSession

from .client import GravityZone, InvalidParams

#: services a sync calls; "general" answers this very check
REQUIRED_APIS = ("network", "companies", "licensing")
PARTNER = 0


def check(config: dict, session: VendorSession) -> ConnectionCheck:
    gz = GravityZone(config, session)
    key = gz.call("general", "getApiKeyDetails", {})
    enabled = enabled_apis(key)
    missing = [api for api in REQUIRED_APIS if enabled is not None and api not in enabled]
    if missing:
        names = ", ".join(api.capitalize() for api in missing)
        return ConnectionCheck(ok=False, message=f"The API key does not have the {names} API enabled. Create a key "
                               "with Companies, Licensing, Network and General in Control Center > My Account.")
    root_id = config.get("root_company_id")
    try:
        company = gz.call("companies", "getCompanyDetails", {"companyId": root_id} if root_id else {})
    except InvalidParams as err:
        raise VendorConfigError(f"root_company_id: GravityZone does not know company {root_id}: {err.message}",
                                field="root_company_id") from None
    if not isinstance(company, dict):
        raise VendorDataError(f"companies/getCompanyDetails answered {type(company).__name__}, not an object")
    name = str(company.get("name") or "your company")
    if company.get("type") not in (None, PARTNER):
        field = "root_company_id" if root_id else "api_key"
        raise VendorConfigError(f"{field}: {name} is a customer company; use a partner company "
                                "(and a partner API key) so its customers can be listed", field=field)
    return ConnectionCheck(ok=True, message=f"Connected to {name} on {config['base_url']}", account_name=name)


def enabled_apis(details: object) -> set[str] | None:
    """Lower-case names of the key's enabled APIs, or None when the answer does not say (field UNSURE)."""
    if not isinstance(details, dict):
        return None
    raw = details.get("enabledApis", details.get("apis"))
    if isinstance(raw, dict):  # {"Companies": true, ...}
        raw = [name for name, on in raw.items() if on]
    if not isinstance(raw, list):
        return None
    names = set()
    for item in raw:
        if isinstance(item, dict):
            item = item.get("name") or item.get("api")
        if isinstance(item, str):
            names.add(item.strip().lower())
    return names
