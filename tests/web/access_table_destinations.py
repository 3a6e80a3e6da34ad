"""Who may use each destination route (see access_table.py): everyone reads, admins connect and
configure, billing maps and pushes."""

ANYONE = frozenset({"admin", "billing", "viewer"})
BILLING = frozenset({"admin", "billing"})
ADMIN = frozenset({"admin"})

DESTINATIONS_EXPECTED = {
    ("destinations.index", "GET"): ANYONE,
    ("destinations.detail", "GET"): ANYONE,
    ("destinations.detail", "POST"): ADMIN,
    ("destinations.connect", "POST"): ADMIN,
    ("destinations.callback", "GET"): ADMIN,
    ("destinations.choose_account", "POST"): ADMIN,
    ("destinations.enable", "POST"): ADMIN,
    ("destinations.disable", "POST"): ADMIN,
    ("destinations.disconnect", "POST"): ADMIN,
    ("destinations.mapping_page", "GET"): ANYONE,
    ("destinations.auto_match", "POST"): BILLING,
    ("destinations.confirm", "POST"): BILLING,
    ("destinations.set_mapping", "POST"): BILLING,
    ("destinations.create_at_provider", "POST"): BILLING,
    ("destinations.unmap", "POST"): BILLING,
    ("destinations.queue_page", "GET"): ANYONE,
    ("destinations.push_now", "POST"): BILLING,
    ("destinations.push_all", "POST"): BILLING,
    ("api.pushes", "GET"): ANYONE,
    ("api.push_now", "POST"): BILLING,
}
