"""hub_map_skus: a name, unit and billability for the counters we know; the rest left for the admin."""

from hub_bitdefender import plugin
from hub_bitdefender.sim_state import COUNTERS
from hub_bitdefender.skus import SKUS, product_code


def test_known_counters_are_described():
    mappings = {m.sku: m for m in plugin.hub_map_skus(["edrMonthlyUsage", "sveVdiMonthlyUsage",
                                                        "emailSecurityMonthlyUsage"])}
    assert mappings["edrMonthlyUsage"].name == "EDR" and mappings["edrMonthlyUsage"].unit == "endpoint"
    assert mappings["sveVdiMonthlyUsage"].unit == "hour"
    assert mappings["emailSecurityMonthlyUsage"].unit == "mailbox"
    assert mappings["edrMonthlyUsage"].suggested_product_code == "BD-EDR"
    assert all(m.billable for m in mappings.values())


def test_every_counter_the_simulator_sends_is_described():
    described = {m.sku for m in plugin.hub_map_skus(list(COUNTERS))}
    assert described == set(COUNTERS)


def test_new_xdr_sensors_are_named_and_unknown_counters_left_unmapped():
    mappings = {m.sku: m for m in plugin.hub_map_skus(["xdrCloudWorkloadSensorsMonthlyUsage", "quantumMonthlyUsage"])}
    assert mappings["xdrCloudWorkloadSensorsMonthlyUsage"].name == "XDR Cloud Workload sensors"
    assert "quantumMonthlyUsage" not in mappings


def test_the_misspelling_is_not_a_sku_and_codes_are_unique():
    assert "aLaCarteMonhtlyUsage" not in SKUS
    codes = [product_code(sku) for sku in SKUS]
    assert len(set(codes)) == len(codes)
    assert product_code("integrityMonitoring90DaysUsage") == "BD-INTEGRITY-MONITORING-90DAYS"
