"""Admin settings: the company's details and logo, SMTP (with "send test e-mail" before saving), the
invoice and credit note e-mails' templates. The SMTP password is write-only: the page says whether one is stored."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from hub.delivery import company, smtp, templates
from hub.models import SmtpSecurity
from hub.web.access import ADMIN, roles
from hub.web.billing_pages.forms import call, form_values
from hub.web.delivery_pages import bp
from hub.web.helpers import actor

SECURITY_CHOICES = [(SmtpSecurity.STARTTLS.value, "STARTTLS (port 587)"),
                    (SmtpSecurity.TLS.value, "Implicit TLS (port 465)"),
                    (SmtpSecurity.NONE.value, "None (trusted relay only)")]


def _company_page(values: dict, errors: dict, status: int = 200):
    row = company.get_company()
    return render_template("delivery/company.html", values=values, errors=errors,
                           logo=company.logo_data_uri(row), max_logo_kb=company.MAX_LOGO_BYTES // 1024), status


@bp.route("/settings/company", methods=["GET", "POST"])
@roles(read=ADMIN, change=ADMIN)
def company_settings():
    if request.method == "GET":
        row = company.get_company()
        values = {f: "" if getattr(row, f) is None else str(getattr(row, f)) for f in company.FIELDS}
        return _company_page(values, {})
    values = form_values(company.FIELDS)
    done = call(company.update_company, values, actor(), form_fields=company.FIELDS)
    if not done.ok:
        return _company_page(values, done.errors, 400)
    flash("Company settings saved.", "success")
    return redirect(url_for(".company_settings"), 303)


@bp.post("/settings/company/logo")
@roles(read=ADMIN, change=ADMIN)
def company_logo():
    if request.form.get("remove"):
        done = call(company.set_logo, None, actor())
    else:
        upload = request.files.get("logo")
        # read one byte past the limit: enough to refuse a huge file without holding it all
        data = upload.stream.read(company.MAX_LOGO_BYTES + 1) if upload else b""
        done = call(company.set_logo, data, actor(), form_fields=("logo",))
    if not done.ok:
        row = company.get_company()
        values = {f: "" if getattr(row, f) is None else str(getattr(row, f)) for f in company.FIELDS}
        return _company_page(values, done.errors, 400)
    flash("Logo removed." if request.form.get("remove") else "Logo saved.", "success")
    return redirect(url_for(".company_settings"), 303)


def _smtp_page(values: dict, errors: dict, status: int = 200, test_to: str = ""):
    return render_template("delivery/smtp.html", values=values, errors=errors, security_choices=SECURITY_CHOICES,
                           has_password=smtp.has_password(), test_to=test_to or current_user.email), status


@bp.route("/settings/email", methods=["GET", "POST"])
@roles(read=ADMIN, change=ADMIN)
def smtp_settings():
    if request.method == "GET":
        row = smtp.get_settings()
        values = ({f: "" if getattr(row, f) is None else str(getattr(row, f)) for f in smtp.FIELDS} if row
                  else {"security": "starttls", "port": "587"})
        return _smtp_page(values, {})
    values = form_values(smtp.FIELDS)
    password = request.form.get("password") or ""  # never echoed back into the form
    fields = smtp.FIELDS + ("password", "test_to")
    if request.form.get("action") == "test":
        test_to = (request.form.get("test_to") or "").strip()
        done = call(smtp.send_test, values, password, test_to, actor(), form_fields=fields)
        if done.ok:
            flash(f"Test e-mail sent to {test_to} (server: {done.result}). Nothing was saved yet.", "success")
        return _smtp_page(values, done.errors, 200 if done.ok else 400, test_to)
    done = call(smtp.save_settings, values, password, actor(), clear_password=bool(request.form.get("clear_password")),
                check_connection=not request.form.get("skip_check"), form_fields=fields)
    if not done.ok:
        return _smtp_page(values, done.errors, 400)
    flash("E-mail settings saved.", "success")
    return redirect(url_for(".smtp_settings"), 303)


@bp.route("/settings/email/template", methods=["GET", "POST"])
@roles(read=ADMIN, change=ADMIN)
def email_template():
    """The invoice e-mail's template, or with ``?kind=credit_note`` the credit note e-mail's."""
    kind = request.args.get("kind", templates.INVOICE)
    if kind not in templates.KINDS:
        abort(404)
    if request.method == "GET":
        subject, body = templates.get_template(kind)
        values, errors, status = {"subject": subject, "body": body}, {}, 200
    else:
        values = form_values(("subject", "body"))
        done = call(templates.update_template, values["subject"], values["body"], actor(), kind,
                    form_fields=("subject", "body"))
        if done.ok:
            flash(f"{templates.KINDS[kind].title} template saved.", "success")
            return redirect(url_for(".email_template", kind=kind), 303)
        errors, status = done.errors, 400
    return render_template("delivery/email_template.html", values=values, errors=errors, kind=kind,
                           kinds=templates.KINDS, placeholders=templates.KINDS[kind].placeholders), status
