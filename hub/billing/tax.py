"""Tax: named rates, an Organization's default rates or its exemption, and the tax of invoice lines.

Rounding rule: tax is computed **per line and per rate**, ``line base x percent / 100`` rounded half-up
to cents; an invoice's tax per rate is the sum of its lines' rounded taxes, so the printed summary
adds up exactly. A non-compound rate's base is the line amount; a compound rate's base is the line
amount plus that line's non-compound taxes. Only lines whose product is taxable are taxed, and an
exempt Organization's invoices carry no tax. Total = subtotal + tax.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from hub.audit import Actor, record
from hub.billing import validate
from hub.billing.errors import BillingError, Taken
from hub.billing.money import HUNDRED, ZERO, cents, fmt_money, fmt_quantity, parse_decimal
from hub.extensions import db
from hub.inputs import shown
from hub.models import Organization, OrganizationTaxRate, TaxRate


@dataclass(frozen=True)
class Rate:
    id: int
    name: str
    percent: Decimal
    compound: bool


@dataclass
class RateTotal:
    rate: Rate
    taxable: Decimal = ZERO  # the sum of the bases
    tax: Decimal = ZERO      # the sum of the lines' rounded taxes

    def as_dict(self) -> dict:
        return {"name": self.rate.name, "percent": fmt_quantity(self.rate.percent), "compound": self.rate.compound,
                "taxable": fmt_money(self.taxable), "tax": fmt_money(self.tax)}


@dataclass
class TaxedLines:
    line_taxes: list[Decimal]  # per line, in the order given
    summary: list[RateTotal]

    @property
    def total(self) -> Decimal:
        return sum((t.tax for t in self.summary), ZERO)


def tax_lines(lines: list[tuple[Decimal, bool]], rates: list[Rate]) -> TaxedLines:
    """Tax of (amount, taxable) lines at ``rates`` (non-compound first, then compound), per the rule above."""
    ordered = sorted(rates, key=lambda r: (r.compound, r.name))
    totals = {r.id: RateTotal(r) for r in ordered}
    line_taxes = []
    for amount, taxable in lines:
        amount = Decimal(amount)
        if not taxable or not ordered:
            line_taxes.append(ZERO)
            continue
        simple = ZERO
        line_tax = ZERO
        for rate in ordered:
            base = amount + simple if rate.compound else amount
            tax = cents(base * rate.percent / HUNDRED)
            if not rate.compound:
                simple += tax
            totals[rate.id].taxable += base
            totals[rate.id].tax += tax
            line_tax += tax
        line_taxes.append(line_tax)
    return TaxedLines(line_taxes, [totals[r.id] for r in ordered])


def rates_for(organization_ids) -> dict[int, list[Rate]]:
    """organization id -> the rates its invoices are taxed at ([] when exempt or without rates)."""
    ids = sorted(set(organization_ids))
    out: dict[int, list[Rate]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        for oid, rid, name, percent, compound in db.session.execute(
                db.select(OrganizationTaxRate.organization_id, TaxRate.id, TaxRate.name, TaxRate.percent,
                          TaxRate.compound)
                .join(TaxRate, TaxRate.id == OrganizationTaxRate.tax_rate_id)
                .join(Organization, Organization.id == OrganizationTaxRate.organization_id)
                .where(OrganizationTaxRate.organization_id.in_(ids[start:start + 500]),
                       Organization.tax_exempt.is_(False))):
            out[oid].append(Rate(rid, name, Decimal(percent), compound))
    return out


# -- managing rates and an Organization's tax --------------------------------------------------------

def list_tax_rates(*, active_only: bool = False) -> list[TaxRate]:
    query = db.select(TaxRate).order_by(TaxRate.name)
    return list(db.session.execute(query.where(TaxRate.active.is_(True)) if active_only else query).scalars())


def create_tax_rate(name: str, percent, actor: Actor, *, compound: bool = False) -> TaxRate:
    """A new rate; ``percent`` as text or Decimal (0 to 100, four decimals). Every bad field at once. Commits."""
    values = validate.each_field(dict(name=name, percent=percent, compound=compound), _clean_rate_field)
    name, percent = values["name"], values["percent"]
    rate = TaxRate(name=name, percent=percent, compound=values["compound"])
    db.session.add(rate)
    db.session.flush()
    record(actor, "tax.rate_create", "tax_rate", rate.id, field="percent", new=fmt_quantity(percent),
           details={"name": name, "compound": rate.compound})
    db.session.commit()
    return rate


def update_tax_rate(rate_id, actor: Actor, **changes) -> TaxRate:
    """Change a rate's ``name``, ``percent``, ``compound`` or ``active`` (false: retired, offered to no
    Organization). Every bad field at once; each change audited. Commits.

    Issued invoices keep the tax they printed (their tax summary and line taxes are stored); the next
    invoices of the Organizations taxed at the rate use the new figures. A rate that Organizations are taxed
    at cannot be retired (field ``active``, naming them): their invoices would silently lose that tax."""
    rate = validate.existing(TaxRate, rate_id, "tax_rate_id")
    unknown = sorted(set(changes) - {"name", "percent", "compound", "active"})
    if unknown:
        raise BillingError(f"{unknown[0]}: not a field of a tax rate", unknown[0])
    values = validate.each_field(changes, lambda key, value: _clean_rate_field(key, value, rate))
    if values.get("active") is False and rate.active:
        users = db.session.execute(
            db.select(Organization.name).join(OrganizationTaxRate, OrganizationTaxRate.organization_id == Organization.id)
            .where(OrganizationTaxRate.tax_rate_id == rate.id).order_by(Organization.name_key)).scalars().all()
        if users:
            named = ", ".join(shown(n) for n in users[:3]) + (f" and {len(users) - 3} more" if len(users) > 3 else "")
            raise BillingError(f"Active: {len(users)} Organization{'s are' if len(users) > 1 else ' is'} taxed at "
                               f"{shown(rate.name)} ({named}); choose another rate for them first", "active")
    for key, value in values.items():
        old = getattr(rate, key)
        if old != value:
            setattr(rate, key, value)
            record(actor, "tax.rate_update", "tax_rate", rate.id, field=key,
                   old=fmt_quantity(old) if key == "percent" else old,
                   new=fmt_quantity(value) if key == "percent" else value, details={"name": rate.name})
    db.session.commit()
    return rate


def _clean_rate_field(key: str, value, rate: TaxRate | None = None):
    if key == "name":
        name = validate.text(value, "name", max_len=100)
        same = db.select(TaxRate.id).where(db.func.lower(TaxRate.name) == name.lower())
        if db.session.execute(same if rate is None else same.where(TaxRate.id != rate.id)).first():
            raise Taken(f"Name: a tax rate named {shown(name)} already exists", "name")
        return name
    if key == "percent":
        percent = parse_decimal(value, "percent", places=4, maximum=None)
        if percent > HUNDRED:
            raise BillingError("Percent: enter 100 or less", "percent")
        return percent
    return validate.boolean(value, key)


def set_organization_tax(organization_id, actor: Actor, *, rate_ids=(), exempt: bool = False) -> Organization:
    """An Organization's default rates and its exemption, replaced as a whole. Audited. Commits."""
    organization = validate.existing(Organization, organization_id, "organization_id")
    wanted = sorted({validate.integer(r, "tax_rate_ids", minimum=1) for r in rate_ids})
    known = dict(db.session.execute(db.select(TaxRate.id, TaxRate.active).where(TaxRate.id.in_(wanted))).all())
    missing = [r for r in wanted if r not in known]
    if missing:
        raise BillingError(f"Tax rates: no tax rate with id {missing[0]}", "tax_rate_ids")
    before = sorted(db.session.execute(db.select(OrganizationTaxRate.tax_rate_id)
                                       .filter_by(organization_id=organization.id)).scalars())
    retired = [r for r in wanted if not known[r] and r not in before]  # one it already has may stay
    if retired:
        name = db.session.get(TaxRate, retired[0]).name
        raise BillingError(f"Tax rates: {shown(name)} is retired", "tax_rate_ids")
    exempt = validate.boolean(exempt, "tax_exempt")
    if before != wanted:
        db.session.execute(db.delete(OrganizationTaxRate).filter_by(organization_id=organization.id))
        db.session.add_all(OrganizationTaxRate(organization_id=organization.id, tax_rate_id=r) for r in wanted)
        record(actor, "tax.organization_rates", "organization", organization.id, field="tax_rate_ids",
               old=",".join(map(str, before)) or None, new=",".join(map(str, wanted)) or None)
    if organization.tax_exempt != exempt:
        record(actor, "tax.organization_exempt", "organization", organization.id, field="tax_exempt",
               old=organization.tax_exempt, new=exempt)
        organization.tax_exempt = exempt
    db.session.commit()
    return organization
