"""``hub invoices pdf|send|send-due`` and ``hub credit-notes pdf|send``: the billing documents and their
e-mails from the command line."""

from __future__ import annotations

import sys

import click
from flask import Flask


def register(app: Flask) -> None:
    invoices_group = app.cli.commands["invoices"]  # made by hub.commands.billing

    @invoices_group.command("pdf")
    @click.argument("invoice_id", type=int)
    @click.option("--output", "-o", type=click.File("wb"), required=True, help="File to write ('-': stdout).")
    def pdf_command(invoice_id: int, output) -> None:
        """Write INVOICE_ID as PDF (the same bytes every time)."""
        from hub.billing.errors import BillingError
        from hub.billing.invoices import get_invoice
        from hub.delivery.pdf import render_invoice_pdf

        try:
            output.write(render_invoice_pdf(get_invoice(invoice_id)))
        except BillingError as err:
            raise click.ClickException(err.message) from None

    @app.cli.commands["credit-notes"].command("pdf")  # the group is made by hub.commands.billing
    @click.argument("note_id", type=int)
    @click.option("--output", "-o", type=click.File("wb"), required=True, help="File to write ('-': stdout).")
    def credit_note_pdf_command(note_id: int, output) -> None:
        """Write credit note NOTE_ID as PDF, laid out like its invoice (the same bytes every time)."""
        from hub.delivery.pdf import render_credit_note_pdf
        from hub.extensions import db
        from hub.models import CreditNote

        note = db.session.get(CreditNote, note_id)
        if note is None:
            raise click.ClickException(f"note_id: no credit note with id {note_id}")
        output.write(render_credit_note_pdf(note))

    @invoices_group.command("send")
    @click.argument("invoice_id", type=int)
    @click.option("--resend", is_flag=True, help="Record it as a resend.")
    def send_command(invoice_id: int, resend: bool) -> None:
        """E-mail INVOICE_ID to its Organization's billing contacts now (exit 1 when not sent)."""
        from hub.delivery.outbox import send_invoice

        _send(send_invoice, invoice_id, resend, "hub invoices send")

    @app.cli.commands["credit-notes"].command("send")
    @click.argument("note_id", type=int)
    @click.option("--resend", is_flag=True, help="Record it as a resend.")
    def credit_note_send_command(note_id: int, resend: bool) -> None:
        """E-mail credit note NOTE_ID, its PDF attached, to its Organization's billing contacts now (exit 1 when
        not sent)."""
        from hub.delivery.outbox import send_credit_note

        _send(send_credit_note, note_id, resend, "hub credit-notes send")

    @invoices_group.command("send-due")
    def send_due_command() -> None:
        """Send the queued invoice e-mails that are due (what the scheduler does every minute)."""
        from hub.delivery.outbox import send_due

        click.echo(f"{len(send_due())} e-mail(s) tried")


def _send(send, document_id: int, resend: bool, command: str) -> None:
    from hub.audit import Actor
    from hub.billing.errors import BillingError

    try:
        delivery = send(document_id, Actor.cli(command), trigger="resend" if resend else "manual")
    except BillingError as err:
        raise click.ClickException(err.message) from None
    if delivery.status == "sent":
        click.echo(f"sent to {', '.join(delivery.to_addresses)} ({delivery.message_id})")
        return
    click.echo(f"not sent ({delivery.status}): {delivery.last_error}", err=True)
    sys.exit(1)
