"""Delivery: invoices and credit notes leave the hub as PDF documents and e-mails.

One module per job, shared by the panel, the scheduler and the CLI:

- ``company``: the MSP's details printed on invoices (name, address, logo, tax id, terms, footer)
- ``document`` + ``pdf``: the invoice document (one Jinja template for the printable page and the PDF)
- ``smtp``: SMTP settings (password encrypted, write-only), the connection, the test e-mail
- ``contacts``: each Organization's billing addresses, checked when entered
- ``templates``: the e-mails' subjects and bodies with {placeholders} (no template code from users)
- ``outbox``: queueing an invoice's or a credit note's e-mail in the issuing transaction, sending, retries,
  resend (one outbox for both)
- ``status``: a document's delivery state, the invoice list filter, the failures the dashboard shows
"""


def init_app(app) -> None:
    """Queue e-mails when invoices and credit notes are issued, and send the queue from the scheduler."""
    from hub.delivery import jobs, outbox

    outbox.connect()
    jobs.register()
