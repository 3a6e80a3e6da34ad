"""The configuration schema: defaults, normalisation, and errors that name the field."""

import pytest
from marshmallow import ValidationError

from hub.plugins import VendorConfigError
from hub_proofpoint.schema import ProofpointConfig


def test_defaults_and_secret(raw_config):
    config = ProofpointConfig().load(raw_config)
    assert config == {**raw_config, "quantity_source": "active_users", "bill_trials": False}
    fields = ProofpointConfig().fields
    assert [name for name, f in fields.items() if f.metadata.get("secret")] == ["password"]


@pytest.mark.parametrize(("given", "stored"), [
    ("https://us1.proofpointessentials.com", "https://us1.proofpointessentials.com"),
    ("https://eu1.proofpointessentials.com/", "https://eu1.proofpointessentials.com"),
    (" https://us3.proofpointessentials.com/api/v1/ ", "https://us3.proofpointessentials.com"),
    ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
    # an API gateway in front of Proofpoint: its path is kept, the client adds /api/v1 after it
    ("https://gw.msp.example/proofpoint/", "https://gw.msp.example/proofpoint"),
    ("https://gw.msp.example/proofpoint/api/v1", "https://gw.msp.example/proofpoint"),
])
def test_base_url_is_the_stack(raw_config, given, stored):
    assert ProofpointConfig().load({**raw_config, "base_url": given})["base_url"] == stored


def test_partner_domain_and_username_are_tidied(raw_config):
    config = ProofpointConfig().load({**raw_config, "partner_domain": " MSP.Example. ", "username": " a@msp.example "})
    assert (config["partner_domain"], config["username"]) == ("msp.example", "a@msp.example")


@pytest.mark.parametrize(("field", "value"), [
    ("base_url", "us1.proofpointessentials.com"),
    ("base_url", "ftp://us1.proofpointessentials.com"),
    ("base_url", "https://us1.proofpointessentials.com/api/v2"),
    ("base_url", "https://us1.proofpointessentials.com/?x=1"),
    ("username", ""),
    ("username", "billing admin"),
    ("password", ""),
    ("partner_domain", "https://msp.example"),
    ("partner_domain", "msp"),
    ("partner_domain", "billing@msp.example"),
    ("quantity_source", "mailboxes"),
    ("bill_trials", "perhaps"),
])
def test_bad_values_name_their_field(raw_config, handle, field, value):
    with pytest.raises(ValidationError) as err:
        ProofpointConfig().load({**raw_config, field: value})
    assert list(err.value.messages) == [field]
    # the hub turns it into a VendorConfigError naming the same field
    with pytest.raises(VendorConfigError) as hub_err:
        handle.load_config({**raw_config, field: value})
    assert hub_err.value.field == field


@pytest.mark.parametrize("missing", ["base_url", "username", "password", "partner_domain"])
def test_required_fields(raw_config, missing):
    raw_config.pop(missing)
    with pytest.raises(ValidationError) as err:
        ProofpointConfig().load(raw_config)
    assert list(err.value.messages) == [missing]


def test_dump_then_load_round_trips(raw_config):
    schema = ProofpointConfig()
    config = schema.load({**raw_config, "quantity_source": "user_licenses", "bill_trials": True})
    assert schema.load(schema.dump(config)) == config
