"""Configuration checks (through the hub's own loading, so errors name the field) and SKU suggestions."""

from __future__ import annotations

import pytest

from hub.plugin_host import PluginRegistry
from hub.plugins import SkuMapping, VendorConfigError
from hub_acronis import plugin
from hub_acronis.skus import SKUS

VALID = {"base_url": "https://eu2-cloud.acronis.com", "client_id": "f902a40f-cac9-4722-826c-1dbe6eae41b0",
         "client_secret": "s3cr3t"}


@pytest.fixture
def handle():
    registry = PluginRegistry(strict=True)
    registry.register(plugin, "acronis")
    return registry.handle("acronis")


def test_the_secret_is_flagged(handle):
    assert handle.info.secret_fields == frozenset({"client_secret"})


@pytest.mark.parametrize(("raw_url", "stored"), [
    ("https://eu2-cloud.acronis.com", "https://eu2-cloud.acronis.com"),
    ("https://eu8.acronis.cloud/", "https://eu8.acronis.cloud"),
    ("https://us5-cloud.acronis.com/api/2", "https://us5-cloud.acronis.com"),
    ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
    ("http://localhost:8123/api/2/", "http://localhost:8123"),
])
def test_base_url_takes_any_host_and_is_normalised(handle, raw_url, stored):
    assert handle.load_config({**VALID, "base_url": raw_url})["base_url"] == stored


def test_blanks_are_trimmed_and_an_empty_override_means_none(handle):
    config = handle.load_config({**VALID, "client_secret": " s3cr3t\n", "partner_tenant_id": ""})
    assert config["client_secret"] == "s3cr3t"
    assert config["partner_tenant_id"] is None


@pytest.mark.parametrize(("change", "field"), [
    ({"base_url": "eu2-cloud.acronis.com"}, "base_url"),
    ({"base_url": "ftp://eu2-cloud.acronis.com"}, "base_url"),
    ({"client_id": ""}, "client_id"),
    ({"client_secret": None}, "client_secret"),
    ({"partner_tenant_id": "MSP Partner"}, "partner_tenant_id"),
    ({"tenant": "x"}, "tenant"),
])
def test_bad_values_name_the_field(handle, change, field):
    with pytest.raises(VendorConfigError) as caught:
        handle.load_config({**VALID, **change})
    assert caught.value.field == field


def test_a_missing_field_is_named(handle):
    raw = dict(VALID)
    del raw["client_secret"]
    with pytest.raises(VendorConfigError, match="client_secret") as caught:
        handle.load_config(raw)
    assert caught.value.field == "client_secret"


def test_known_skus_get_names_units_and_billability_unknown_stay_unmapped(handle, config):
    mappings = {m.sku: m for m in handle.map_skus(config, ["pw_base_workstations", "pg_base_storage",
                                                            "pw_base_dr_base", "pw_pack_adv_security_edr"])}
    assert mappings["pw_base_workstations"] == SkuMapping(
        "pw_base_workstations", "Workstations (per workload)", "workstation", True, "ACR-PW-BASE-WORKSTATIONS")
    assert (mappings["pg_base_storage"].unit, mappings["pg_base_storage"].billable) == ("GB", True)
    assert mappings["pw_base_dr_base"].billable is False
    assert "pw_pack_adv_security_edr" not in mappings


def test_the_sku_table_is_consistent():
    assert all(info.name and info.unit for info in SKUS.values())
    storage = [sku for sku in SKUS if sku.endswith("storage")]
    assert storage and all(SKUS[sku].unit == "GB" for sku in storage)


def test_the_app_center_form_shows_labels_help_and_a_password_box():
    from hub.web.schema_form import form_fields

    form = {f.name: f for f in form_fields(plugin.hub_vendor_info().config_schema)}
    assert (form["base_url"].kind, form["base_url"].label) == ("url", "Data center URL")
    assert "eu2-cloud.acronis.com" in form["base_url"].help
    assert (form["client_secret"].kind, form["client_secret"].secret) == ("password", True)
    assert form["partner_tenant_id"].required is False
