"""Delivery: invoices leave the hub as PDF documents and e-mails.

One module per job, shared by the panel, the scheduler and the CLI:

- ``company``: the MSP's details printed on invoices (name, address, logo, tax id, terms, footer)
- ``document`` + ``pdf``: the invoice document (one Jinja template for the printable page and the PDF)
- ``smtp``: SMTP settings (password encrypted, write-only), the connection, the test e-mail
- ``contacts``: each Organization's billing addresses, checked when entered
- ``templates``: the e-mail's subject and body with {placeholders} (no template code from users)
- ``outbox``: queueing an invoice's e-mail in the issuing transaction, sending, retries, resend
- ``status``: an invoice's delivery state, the list filter, the failures the dashboard shows
"""


def init_app(app) -> None:
    """Queue e-mails when invoices are issued, and send the queue from the scheduler."""
    from hub.delivery import jobs, outbox

    outbox.connect()
    jobs.register()
