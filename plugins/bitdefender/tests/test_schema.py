"""The configuration schema: defaults, normalisation, and errors that name the field."""

import pytest
from marshmallow import ValidationError

from hub_bitdefender import plugin
from hub_bitdefender.schema import DEFAULT_ACCESS_URL, BitdefenderConfig

KEY = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def load(**raw):
    return BitdefenderConfig().load(raw)


def field_errors(**raw):
    with pytest.raises(ValidationError) as err:
        load(**raw)
    return err.value.normalized_messages()


def test_defaults():
    config = load(api_key=KEY)
    assert config == {"base_url": DEFAULT_ACCESS_URL, "api_key": KEY, "root_company_id": None,
                      "usage_method": "per_product_type", "target_month": "current"}


@pytest.mark.parametrize("raw, expected", [
    ("https://cloud.gravityzone.bitdefender.com/api/", "https://cloud.gravityzone.bitdefender.com/api"),
    ("https://cloudgz.gravityzone.bitdefender.com/api/v1.0/jsonrpc/network",
     "https://cloudgz.gravityzone.bitdefender.com/api"),
    ("http://127.0.0.1:8931/api", "http://127.0.0.1:8931/api"),
    ("http://localhost:5000", "http://localhost:5000"),
])
def test_any_host_and_a_pasted_method_url(raw, expected):
    assert load(base_url=raw, api_key=KEY)["base_url"] == expected


@pytest.mark.parametrize("raw, field", [
    ({"base_url": "cloud.gravityzone.bitdefender.com", "api_key": KEY}, "base_url"),
    ({"base_url": "ftp://example.com/api", "api_key": KEY}, "base_url"),
    ({}, "api_key"),
    ({"api_key": "short"}, "api_key"),
    ({"api_key": f"{KEY} "}, "api_key"),
    ({"api_key": KEY, "root_company_id": "Contoso"}, "root_company_id"),
    ({"api_key": KEY, "usage_method": "per_endpoint"}, "usage_method"),
    ({"api_key": KEY, "target_month": "04/2025"}, "target_month"),
])
def test_errors_name_the_field(raw, field):
    assert list(field_errors(**raw)) == [field]


def test_an_empty_root_company_means_the_keys_company():
    assert load(api_key=KEY, root_company_id="")["root_company_id"] is None
    assert load(api_key=KEY, root_company_id="64F1C2AAB1A43D1B2C3D4E01")["root_company_id"]


def test_only_the_api_key_is_secret_and_settings_round_trip():
    info = plugin.hub_vendor_info()
    assert info.secret_fields == frozenset({"api_key"})
    config = load(api_key=KEY, root_company_id="64f1c2aab1a43d1b2c3d4e01", target_month="previous")
    assert BitdefenderConfig().load(BitdefenderConfig().dump(config)) == config
