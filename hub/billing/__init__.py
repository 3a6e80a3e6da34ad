"""Billing: catalog, recurring invoices whose vendor lines follow license counts, invoices, usage report."""


def init_app(app) -> None:
    """Connects billing to the hub's signals and registers its CLI commands."""
