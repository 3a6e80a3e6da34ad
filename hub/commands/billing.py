"""``hub invoices run|preview|export|list``, ``hub credit-notes create|export`` and ``hub report usage``."""

from __future__ import annotations

import json
import sys
from datetime import date

import click
from flask import Flask

from hub.cli import emit, known_organization, known_row


def _date(_ctx, _param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _fail(err) -> None:
    field = getattr(err, "field", None)
    raise click.ClickException(f"{field}: {err}" if field and field not in str(err) else str(err))


def register(app: Flask) -> None:
    @app.cli.group("invoices")
    def invoices_group() -> None:
        """Issue, preview and export invoices."""

    @invoices_group.command("run")
    @click.option("--date", "run_date", callback=_date, help="Issue what is due on this day (default: today, UTC).")
    @click.option("--json", "as_json", is_flag=True)
    def run_command(run_date, as_json: bool) -> None:
        """Issue every invoice that is due (safe to repeat: a period is never invoiced twice)."""
        from hub.audit import Actor
        from hub.billing.invoicing import run_due_invoices

        result = run_due_invoices(run_date, Actor.cli("hub invoices run"))
        summary = {"run_date": result.run_date.isoformat(), "issued": result.issued, "drafts": result.drafts,
                   "nothing_to_bill": [rid for rid, _ in result.empty],
                   "skipped": [{"recurring_invoice_id": rid, "reason": why} for rid, why in result.skipped]}
        if as_json:
            click.echo(json.dumps(summary, indent=2))
        else:
            click.echo(f"{result.run_date}: {len(result.issued)} issued, {len(result.drafts)} drafts, "
                       f"{len(result.empty)} with nothing to bill, {len(result.skipped)} skipped")
            for rid, why in result.skipped:
                click.echo(f"  recurring invoice {rid}: {why}", err=True)
        sys.exit(1 if result.skipped else 0)

    @invoices_group.command("preview")
    @click.argument("recurring_id", type=int)
    @click.option("--date", "run_date", callback=_date, help="Preview as if run on this day.")
    @click.option("--json", "as_json", is_flag=True)
    def preview_command(recurring_id: int, run_date, as_json: bool) -> None:
        """Show the next invoice of RECURRING_ID line by line, and what changed since the last one."""
        from hub.billing.errors import BillingError
        from hub.billing.preview import preview_invoice, preview_to_dict

        try:
            data = preview_to_dict(preview_invoice(recurring_id, run_date))
        except BillingError as err:
            _fail(err)
        if as_json:
            click.echo(json.dumps(data, indent=2))
            return
        click.echo(f"Recurring invoice {recurring_id}: run {data['run_date']}, period {data['period_start']} to "
                   f"{data['period_end']}, total {data['total']} {data['currency']} "
                   f"(last invoice: {data['previous_total'] or 'none'})")
        emit([{**ln, "was": ln["previous_quantity"] or "-"} for ln in data["lines"]],
             ["description", "status", "quantity", "was", "unit_price", "amount", "source"], False)
        for warning in data["warnings"]:
            click.echo(f"warning: {warning}")

    @invoices_group.command("export")
    @click.argument("invoice_id", type=int)
    @click.option("--format", "fmt", type=click.Choice(["csv", "json", "html"]), default="csv", show_default=True)
    @click.option("--output", "-o", type=click.File("w"), default="-", help="File to write (default: stdout).")
    def export_command(invoice_id: int, fmt: str, output) -> None:
        """Write INVOICE_ID as CSV, JSON or printable HTML."""
        from hub.billing import export
        from hub.billing.errors import BillingError
        from hub.billing.invoices import get_invoice

        try:
            invoice = get_invoice(invoice_id)
        except BillingError as err:
            _fail(err)
        writer = {"csv": export.invoice_csv, "json": export.invoice_json, "html": export.render_invoice_html}[fmt]
        output.write(writer(invoice))

    @invoices_group.command("list")
    @click.option("--status", type=click.Choice(["draft", "issued", "void"]))
    @click.option("--organization", "organization_id", type=int)
    @click.option("--recurring", "recurring_invoice_id", type=int, help="Only the invoices of this recurring invoice.")
    @click.option("--limit", default=50, show_default=True)
    @click.option("--json", "as_json", is_flag=True)
    def list_command(status, organization_id, recurring_invoice_id, limit: int, as_json: bool) -> None:
        """The newest invoices, each with the recurring invoice that made it (none for a manual one)."""
        from hub.billing.invoices import list_invoices
        from hub.billing.money import fmt_money
        from hub.billing.numbering import label
        from hub.models import RecurringInvoice

        rows = [{"id": i.id, "number": label(i.number), "status": i.status, "organization": i.organization.name,
                 "recurring_invoice_id": i.recurring_invoice_id,
                 "invoice_date": i.invoice_date.isoformat(), "period": f"{i.period_start}..{i.period_end}",
                 "total": fmt_money(i.total), "currency": i.currency}
                for i in list_invoices(status=status, organization_id=known_organization(organization_id),
                                       recurring_invoice_id=known_row(RecurringInvoice, recurring_invoice_id,
                                                                      "--recurring", "recurring invoice"),
                                       limit=limit)]
        emit(rows, ["id", "number", "status", "organization", "recurring_invoice_id", "invoice_date", "period",
                    "total", "currency"], as_json)

    @app.cli.group("credit-notes")
    def credit_group() -> None:
        """Credit notes against issued invoices."""

    @credit_group.command("create")
    @click.argument("invoice_id", type=int)
    @click.option("--reason", required=True, help="Why (kept on the credit note and in the audit log).")
    @click.option("--line", "line_ids", type=int, multiple=True, help="An invoice line id to credit; repeat. "
                  "Default: every line not credited yet.")
    @click.option("--send", "send_on_issue", is_flag=True, help="E-mail it to the billing contacts (it is "
                  "anyway when the invoice's recurring invoice sends on issue).")
    def credit_create_command(invoice_id: int, reason: str, line_ids, send_on_issue: bool) -> None:
        """Credit INVOICE_ID, whole or chosen lines."""
        from hub.audit import Actor
        from hub.billing import credit_notes
        from hub.billing.errors import BillingError
        from hub.billing.money import fmt_money

        try:
            note = credit_notes.create_credit_note(invoice_id, Actor.cli("hub credit-notes create"), reason,
                                                   line_ids=list(line_ids) or None, send_on_issue=send_on_issue)
        except BillingError as err:
            _fail(err)
        click.echo(f"credit note {credit_notes.label(note.number)} (id {note.id}): {fmt_money(note.total)} "
                   f"{note.currency}")

    @credit_group.command("export")
    @click.argument("note_id", type=int)
    @click.option("--format", "fmt", type=click.Choice(["csv", "json", "html"]), default="csv", show_default=True)
    def credit_export_command(note_id: int, fmt: str) -> None:
        """Write credit note NOTE_ID as CSV, JSON or printable HTML."""
        from hub.billing import credit_notes
        from hub.extensions import db
        from hub.models import CreditNote

        note = db.session.get(CreditNote, note_id)
        if note is None:
            raise click.ClickException(f"note_id: no credit note with id {note_id}")
        click.echo({"csv": credit_notes.credit_note_csv,
                    "json": lambda n: json.dumps(credit_notes.credit_note_to_dict(n), indent=2),
                    "html": credit_notes.render_credit_note_html}[fmt](note), nl=False)

    @app.cli.group("report")
    def report_group() -> None:
        """Billing reports."""

    @report_group.command("usage")
    @click.option("--vendor", help="Only this vendor (its slug).")
    @click.option("--organization", "organization_id", type=int)
    @click.option("--status", help="Only rows with this billing status (e.g. under_billed, not_mapped).")
    @click.option("--map-status", "map_status", help="Only rows with this map status (mapped, not_mapped, detached).")
    @click.option("--line-state", "line_state", help="Only rows billed at a quantity the counts do not say now "
                  "(held, kept).")
    @click.option("--csv", "as_csv", is_flag=True, help="Write CSV instead of a table.")
    def usage_command(vendor, organization_id, status, map_status, line_state, as_csv: bool) -> None:
        """The Third-Party Vendor Usage Report: vendor counts against billed quantities, and unbilled money."""
        from hub.billing.errors import BillingError
        from hub.billing.money import fmt_money, fmt_quantity
        from hub.billing.usage_report import usage_report, usage_report_csv

        try:
            report = usage_report(vendor=vendor, organization_id=organization_id, status=status,
                                  map_status=map_status, line_state=line_state)
        except BillingError as err:  # an unknown filter value: a usage error (exit 2) naming the valid ones
            raise click.BadParameter(err.message, param_hint=f"--{(err.field or '').replace('_id', '')}"
                                     .replace("_", "-")) from None
        if as_csv:
            click.echo(usage_report_csv(report), nl=False)
            return
        rows = [{"vendor": r.vendor, "customer": r.customer or "(no count)", "map_status": r.map_status,
                 "organization": r.organization, "sku": r.sku, "unit": r.unit,
                 "vendor_qty": fmt_quantity(r.vendor_quantity), "billed_qty": fmt_quantity(r.billed_quantity),
                 "difference": fmt_quantity(r.difference),
                 "unbilled_value": f"{fmt_money(r.unbilled_value)} {r.currency}" if r.unbilled_quantity
                 and r.unbilled_value is not None else "",
                 "status": r.status + (f" ({r.line_state})" if r.line_state else "")} for r in report.rows]
        emit(rows, ["vendor", "customer", "map_status", "organization", "sku", "unit", "vendor_qty", "billed_qty",
                    "difference", "unbilled_value", "status"], False)
        t = report.totals
        for unit, q in sorted(t.by_unit.items()):
            click.echo(f"TOTAL {unit}: vendor {fmt_quantity(q.vendor_quantity)}, billed "
                       f"{fmt_quantity(q.billed_quantity)}, unbilled {fmt_quantity(q.unbilled_quantity)}")
        worth = ", ".join(f"{fmt_money(v)} {c}" for c, v in sorted(t.unbilled_value.items())) or "0.00"
        click.echo(f"TOTAL unbilled worth {worth} a month"
                   + (f" (+{t.unpriced_rows} rows without a price)" if t.unpriced_rows else ""))
        for currency in sorted(t.billed_value):
            click.echo(f"TOTAL {currency} a month: billed {fmt_money(t.billed_value[currency])}, cost "
                       f"{fmt_money(t.cost[currency])}, margin {fmt_money(t.margin[currency])}")
