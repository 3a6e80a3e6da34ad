"""Who may use the webhook pages: admins only, for reading as well as for changing."""

ADMIN = frozenset({"admin"})

WEBHOOKS_EXPECTED = {
    ("webhooks.index", "GET"): ADMIN,
    ("webhooks.create", "GET"): ADMIN,
    ("webhooks.create", "POST"): ADMIN,
    ("webhooks.detail", "GET"): ADMIN,
    ("webhooks.enable", "POST"): ADMIN,
    ("webhooks.disable", "POST"): ADMIN,
    ("webhooks.events", "POST"): ADMIN,
    ("webhooks.rotate", "POST"): ADMIN,
    ("webhooks.resend", "POST"): ADMIN,
}
