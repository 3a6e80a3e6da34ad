"""A local Xero (WSGI, werkzeug only) for demo mode and tests.

Same URLs and shapes as Xero's identity service and Accounting API 2.0: the authorize redirect (it
approves at once; PKCE checked when a challenge was sent), the token endpoint (refresh tokens rotated
on every refresh, the previous one good for a 30-minute grace), ``/connections`` (two organisations
and a practice, so the admin must pick), ``Organisation``, ``Contacts`` (``where`` with ``==``,
``searchTerm``, by id or ContactNumber), ``Items``, ``TaxRates``, ``Invoices`` (PUT with
``summarizeErrors=false``, ``unitdp`` and ``Idempotency-Key`` replaying the first answer; void) and
``CreditNotes`` (PUT the same way, GET with ``where``, allocations to invoices),
with Xero's error bodies, MS-JSON dates, its rate-limit headers and limits (60 calls a minute and 5
at once per organisation; 429 with ``Retry-After`` and ``X-Rate-Limit-Problem``).
"""

from __future__ import annotations

import base64
import collections
import hashlib
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from hub.plugins import dumps_exact
from hub.plugins.simulator import DestinationFaults

__all__ = ["XeroSimulator", "make_app", "SIM_CLIENT_ID", "SIM_CLIENT_SECRET", "TENANTS"]

SIM_CLIENT_ID = "SIMXEROCLIENT0000000000000000001"
SIM_CLIENT_SECRET = "sim-xero-client-secret-91bc"
TENANTS = [("3f7a1c2e-0000-4000-8000-000000000001", "Demo Company (NZ)", "ORGANISATION"),
           ("3f7a1c2e-0000-4000-8000-000000000002", "Demo Company (AU)", "ORGANISATION"),
           ("3f7a1c2e-0000-4000-8000-000000000003", "Practice Manager", "PRACTICE")]
PER_MINUTE, CONCURRENT, GRACE = 60, 5, 30 * 60
CENT, FOUR = Decimal("0.01"), Decimal("0.0001")
WHERE = re.compile(r'^\s*(\w+)\s*==\s*"([^"\\]*)"\s*$')


class ApiError(Exception):
    def __init__(self, status: int, body: Any, headers: dict | None = None) -> None:
        super().__init__(str(body))
        self.status, self.body, self.headers = status, body, headers or {}


def validation(messages: list[str], element: dict | None = None) -> ApiError:
    return ApiError(400, {"ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred",
                          "Elements": [{**(element or {}), "ValidationErrors": [{"Message": m} for m in messages]}]})


def _taken(table: dict, number_field: str, element: dict) -> bool:
    number = element.get(number_field)
    return bool(number) and any(r.get(number_field) == number and r["Status"] != "DELETED" for r in table.values())


def _refused(element: dict, errors: list[str]) -> dict:
    """An element of a ``summarizeErrors=false`` answer that was not saved."""
    return {**element, "HasErrors": True, "StatusAttributeString": "ERROR",
            "ValidationErrors": [{"Message": m} for m in errors]}


def ms_date(day: str) -> str:
    when = datetime.fromisoformat(day).replace(tzinfo=timezone.utc)
    return f"/Date({int(when.timestamp() * 1000)}+0000)/"


@dataclass
class Organisation:
    contacts: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)
    #: TaxType -> {"Name", "TaxType", "Status", "EffectiveRate"}
    tax_rates: dict = field(default_factory=dict)
    invoices: dict = field(default_factory=dict)
    credit_notes: dict = field(default_factory=dict)
    replies: dict = field(default_factory=dict)
    request_times: collections.deque = field(default_factory=collections.deque)
    in_flight: int = 0


@dataclass
class SimState:
    clock: Callable[[], float] = time.time
    lock: threading.RLock = field(default_factory=threading.RLock)
    codes: dict = field(default_factory=dict)            # code -> (redirect_uri, challenge)
    access_tokens: dict = field(default_factory=dict)    # token -> expires at
    refresh_token: str | None = None
    previous_refresh: tuple | None = None                # (token, good until)
    revoked: int = 0                                     # grants ended through the revocation endpoint
    refresh_calls: int = 0
    orgs: dict = field(default_factory=dict)
    replayed: int = 0
    over_limit: int = 0
    requests: list = field(default_factory=list)

    def issue_tokens(self) -> dict:
        access = secrets.token_urlsafe(24)
        if self.refresh_token:
            self.previous_refresh = (self.refresh_token, self.clock() + GRACE)
        self.refresh_token = secrets.token_urlsafe(24)
        self.access_tokens[access] = self.clock() + 1800
        return {"access_token": access, "expires_in": 1800, "token_type": "Bearer", "refresh_token": self.refresh_token,
                "scope": "offline_access accounting.transactions accounting.contacts accounting.settings"}

    def expire_access_tokens(self) -> None:
        for token in self.access_tokens:
            self.access_tokens[token] = 0


def seed(state: SimState, customers: int) -> SimState:
    for tenant_id, _name, kind in TENANTS:
        if kind != "ORGANISATION":
            continue
        org = state.orgs[tenant_id] = Organisation()
        for tax_type, name, rate in (("OUTPUT2", "15% GST on Income", "15"), ("NONE", "No GST", "0")):
            org.tax_rates[tax_type] = {"Name": name, "TaxType": tax_type, "Status": "ACTIVE",
                                       "EffectiveRate": Decimal(rate)}
        for n in range(1, customers + 1):
            cid = str(uuid.uuid4())
            name = "O'Brien IT" if n == 2 else f"Customer {n:03d}"
            org.contacts[cid] = {"ContactID": cid, "Name": name, "ContactStatus": "ACTIVE"}
        iid = str(uuid.uuid4())
        org.items[iid] = {"ItemID": iid, "Code": "EP-MGD", "Name": "Managed Endpoint",
                          "SalesDetails": {"UnitPrice": Decimal("12.5"), "AccountCode": "200"}}
    return state


def make_app(customers: int = 12, *, clock: Callable[[], float] = time.time,
             sleep: Callable[[float], None] = time.sleep) -> "XeroSimulator":
    return XeroSimulator(seed(SimState(clock=clock), customers), sleep=sleep)


def _json(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(dumps_exact(body), status=status, headers=headers or {}, content_type="application/json")


class XeroSimulator:
    def __init__(self, state: SimState, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.state = state
        self.faults = DestinationFaults()
        #: behave like an organisation that recomputes line tax itself (a total the hub must notice)
        self.ignore_tax_amount = False
        #: which limit the ``rate_limit_retry_after`` fault's 429 names (``X-Rate-Limit-Problem``)
        self.rate_limit_problem = "minute"
        self._sleep = sleep
        self.url_map = Map([
            Rule("/identity/connect/authorize", endpoint="authorize", methods=["GET"]),
            Rule("/connect/token", endpoint="token", methods=["POST"]),
            Rule("/connect/revocation", endpoint="revoke", methods=["POST"]),
            Rule("/connections", endpoint="connections", methods=["GET"]),
            Rule("/api.xro/2.0/Organisation", endpoint="organisation", methods=["GET"]),
            Rule("/api.xro/2.0/Contacts", endpoint="contacts", methods=["GET", "PUT"]),
            Rule("/api.xro/2.0/Contacts/<key>", endpoint="contact", methods=["GET"]),
            Rule("/api.xro/2.0/Items", endpoint="items", methods=["GET", "PUT"]),
            Rule("/api.xro/2.0/Items/<key>", endpoint="item", methods=["GET"]),
            Rule("/api.xro/2.0/TaxRates", endpoint="tax_rates", methods=["GET"]),
            Rule("/api.xro/2.0/Invoices", endpoint="invoices", methods=["GET", "PUT"]),
            Rule("/api.xro/2.0/Invoices/<key>", endpoint="invoice", methods=["GET", "POST"]),
            Rule("/api.xro/2.0/CreditNotes", endpoint="credit_notes", methods=["GET", "PUT"]),
            Rule("/api.xro/2.0/CreditNotes/<key>", endpoint="credit_note", methods=["GET"]),
            Rule("/api.xro/2.0/CreditNotes/<key>/Allocations", endpoint="allocations", methods=["PUT"]),
        ])

    # -- what tests read ---------------------------------------------------------------------------

    def org(self, tenant_id: str | None = None) -> Organisation:
        return self.state.orgs[tenant_id or TENANTS[0][0]]

    def all_invoices(self) -> list[dict]:
        return [i for o in self.state.orgs.values() for i in o.invoices.values()]

    def invoices_numbered(self, number: str) -> list[dict]:
        return [i for i in self.all_invoices() if i["InvoiceNumber"] == number and i["Status"] != "DELETED"]

    def all_credit_notes(self) -> list[dict]:
        return [c for o in self.state.orgs.values() for c in o.credit_notes.values()]

    def credit_notes_numbered(self, number: str) -> list[dict]:
        return [c for c in self.all_credit_notes() if c.get("CreditNoteNumber") == number and c["Status"] != "DELETED"]

    def invoice_state(self, external_id: str) -> str | None:
        found = [i for i in self.all_invoices() if i["InvoiceID"] == external_id]
        if not found:
            return None
        return "voided" if found[0]["Status"] in ("VOIDED", "DELETED") else "open"

    def pay(self, tenant_id: str, invoice_id: str, amount: Decimal) -> None:
        """A payment recorded against the invoice in Xero: AmountDue down, AmountPaid up, PAID at zero."""
        with self.state.lock:
            row = self.state.orgs[tenant_id].invoices[invoice_id]
            row["AmountDue"] = max(Decimal(str(row["AmountDue"])) - Decimal(str(amount)), Decimal(0))
            row["AmountPaid"] = Decimal(str(row.get("AmountPaid") or 0)) + Decimal(str(amount))
            if row["AmountDue"] == 0:
                row["Status"] = "PAID"

    # -- WSGI ----------------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        with self.state.lock:
            self.state.requests.append((request.method, request.path, dict(request.args), dict(request.headers)))
        if self.faults.latency:
            self._sleep(self.faults.latency)
        try:
            endpoint, args = self.url_map.bind_to_environ(request.environ).match()
        except HTTPException as err:
            return Response("The resource you're looking for cannot be found", status=err.code or 404)
        if endpoint in ("authorize", "token", "revoke"):
            return getattr(self, endpoint)(request)
        try:
            if self.faults.rate_limit_retry_after is not None:
                raise ApiError(429, {"Title": "Too Many Requests"}, {
                    "Retry-After": str(self.faults.rate_limit_retry_after),
                    "X-Rate-Limit-Problem": self.rate_limit_problem})
            if self.faults.unavailable:
                raise ApiError(self.faults.unavailable, {"Title": "Service Unavailable"})
            self._authenticate(request)
            if endpoint == "connections":
                return _json([{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, t)), "authEventId": str(uuid.uuid4()),
                               "tenantId": t, "tenantType": kind, "tenantName": name,
                               "createdDateUtc": "2026-01-01T00:00:00.0000000", "updatedDateUtc": "2026-01-01T00:00:00.0000000"}
                              for t, name, kind in TENANTS], headers={"X-AppMinLimit-Remaining": "9999"})
            tenant = request.headers.get("xero-tenant-id", "")
            if tenant not in self.state.orgs:
                raise ApiError(403, {"Type": None, "Title": "Forbidden", "Status": 403, "Detail": "AuthenticationUnsuccessful"})
            org = self.state.orgs[tenant]
            remaining = self._limits(org)
            try:
                with self.state.lock:
                    status, body = self._dispatch(request, org, endpoint, args)
                    hang = request.method in ("PUT", "POST") and self.faults.commit_then_hang > 0
                    if hang:
                        self.faults.commit_then_hang -= 1
                if hang:
                    self._sleep(self.faults.hang_seconds)  # committed; the client has given up
            finally:
                with self.state.lock:
                    org.in_flight -= 1
            return _json(body, status, {"X-MinLimit-Remaining": str(remaining), "X-DayLimit-Remaining": "4999",
                                        "X-AppMinLimit-Remaining": "9999"})
        except ApiError as err:
            if isinstance(err.body, str):
                return Response(err.body, status=err.status, headers=err.headers)
            return _json(err.body, err.status, err.headers)

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        token = header[len("Bearer "):] if header.startswith("Bearer ") else ""
        with self.state.lock:
            expires = self.state.access_tokens.get(token)
            valid = expires is not None and expires > self.state.clock()
        if self.faults.auth or not valid:
            raise ApiError(401, {"Type": None, "Title": "Unauthorized", "Status": 401,
                                 "Detail": "AuthenticationUnsuccessful", "Instance": str(uuid.uuid4())})

    def _limits(self, org: Organisation) -> int:
        now = time.monotonic()
        with self.state.lock:
            while org.request_times and org.request_times[0] <= now - 60:
                org.request_times.popleft()
            if len(org.request_times) >= PER_MINUTE or org.in_flight >= CONCURRENT:
                self.state.over_limit += 1
                org.request_times.append(now)  # rejected calls count too (the sheet's safe reading)
                raise ApiError(429, "", {"Retry-After": "60", "X-Rate-Limit-Problem": "minute"})
            org.request_times.append(now)
            org.in_flight += 1
            return PER_MINUTE - len(org.request_times)

    def _dispatch(self, request: Request, org: Organisation, endpoint: str, args: dict) -> tuple[int, Any]:
        key = request.headers.get("Idempotency-Key") if request.method in ("PUT", "POST") else None
        if key and key in org.replies:
            self.state.replayed += 1
            return org.replies[key]  # the first answer for this key, whatever the body
        try:
            answer = 200, getattr(self, endpoint)(request, org, **args)
        except ApiError as err:
            if err.status not in (400, 404):
                raise
            answer = err.status, err.body
        if key:
            org.replies[key] = answer
        return answer

    # -- OAuth -------------------------------------------------------------------------------------

    def authorize(self, request: Request) -> Response:
        if request.args.get("client_id") != SIM_CLIENT_ID or request.args.get("response_type") != "code":
            return Response("unauthorized_client", status=400)
        code = secrets.token_urlsafe(16)
        with self.state.lock:
            self.state.codes[code] = (request.args.get("redirect_uri"), request.args.get("code_challenge"))
        query = urlencode({"code": code, "state": request.args.get("state", ""), "scope": request.args.get("scope", "")})
        return Response("", status=302, headers={"Location": f"{request.args.get('redirect_uri')}?{query}"})

    def token(self, request: Request) -> Response:
        expected = "Basic " + base64.b64encode(f"{SIM_CLIENT_ID}:{SIM_CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return _json({"error": "invalid_client"}, 400)
        grant = request.form.get("grant_type")
        with self.state.lock:
            if grant == "authorization_code":
                redirect, challenge = self.state.codes.pop(request.form.get("code", ""), (None, None))
                verifier = request.form.get("code_verifier", "")
                proof = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if redirect is None or redirect != request.form.get("redirect_uri") or (challenge and proof != challenge):
                    return _json({"error": "invalid_grant"}, 400)
                return _json(self.state.issue_tokens())
            if grant == "refresh_token":
                self.state.refresh_calls += 1
                given = request.form.get("refresh_token")
                previous = self.state.previous_refresh
                in_grace = previous is not None and given == previous[0] and previous[1] > self.state.clock()
                if self.faults.refuse_refresh or not (given == self.state.refresh_token or in_grace):
                    return _json({"error": "invalid_grant"}, 400)
                return _json(self.state.issue_tokens())
        return _json({"error": "unsupported_grant_type"}, 400)

    def revoke(self, request: Request) -> Response:
        """Xero's revocation (RFC 7009): Basic client credentials, form ``token=<refresh token>``; the
        grant ends, with every connection it made (its access tokens die too)."""
        expected = "Basic " + base64.b64encode(f"{SIM_CLIENT_ID}:{SIM_CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return _json({"error": "invalid_client"}, 400)
        if self.faults.revoke_status:
            return _json({"error": "server_error"}, self.faults.revoke_status)
        token = request.form.get("token", "")
        if not token:
            return _json({"error": "invalid_request"}, 400)
        with self.state.lock:
            if token == self.state.refresh_token or token in self.state.access_tokens:
                self.state.refresh_token, self.state.previous_refresh = None, None
                self.state.access_tokens.clear()
                self.state.revoked += 1
        return Response("", status=200)

    # -- Accounting API ------------------------------------------------------------------------------

    def organisation(self, request, org):
        name = next(n for t, n, _ in TENANTS if self.state.orgs.get(t) is org)
        return {"Organisations": [{"Name": name, "BaseCurrency": "NZD", "OrganisationStatus": "ACTIVE"}]}

    @staticmethod
    def _where(rows: list[dict], where: str | None) -> list[dict]:
        if not where:
            return rows
        for part in re.split(r"\s+AND\s+", where):
            match = WHERE.match(part)
            if not match:
                raise ApiError(400, {"ErrorNumber": 16, "Type": "QueryParseException",
                                     "Message": f"Operator '==' incompatible or unparsable expression: {part}"})
            name, value = match.groups()
            rows = [r for r in rows if str(r.get(name)) == value]
        return rows

    @staticmethod
    def _page(rows: list[dict], request) -> list[dict]:
        page = int(request.args.get("page") or 0)
        return rows[(page - 1) * 100:page * 100] if page else rows

    def contacts(self, request, org):
        if request.method == "PUT":
            made = []
            for contact in (request.get_json() or {}).get("Contacts") or []:
                name = str(contact.get("Name") or "").strip()
                if any(c["Name"] == name and c["ContactStatus"] == "ACTIVE" for c in org.contacts.values()):
                    raise validation([f"The contact name {name} is already assigned to another contact. The contact "
                                      "name must be unique across all active contacts."], contact)
                cid = str(uuid.uuid4())
                org.contacts[cid] = {**contact, "ContactID": cid, "Name": name, "ContactStatus": "ACTIVE"}
                made.append(org.contacts[cid])
            return {"Contacts": made}
        rows = self._where(list(org.contacts.values()), request.args.get("where"))
        term = (request.args.get("searchTerm") or "").lower()
        if term:
            rows = [r for r in rows if term in str(r.get("Name", "")).lower() or term in str(r.get("ContactNumber", "")).lower()]
        return {"Contacts": self._page(rows, request)}

    def contact(self, request, org, key):
        found = [c for c in org.contacts.values() if key in (c["ContactID"], c.get("ContactNumber"))]
        if not found:
            raise ApiError(404, "The resource you're looking for cannot be found")
        return {"Contacts": found}

    def items(self, request, org):
        if request.method == "PUT":
            made = []
            for item in (request.get_json() or {}).get("Items") or []:
                code = str(item.get("Code") or "")
                if not code or len(code) > 30 or any(i["Code"] == code for i in org.items.values()):
                    raise validation([f"Item code '{code}' is missing, longer than 30 or already in use"], item)
                iid = str(uuid.uuid4())
                org.items[iid] = {**item, "ItemID": iid}
                made.append(org.items[iid])
            return {"Items": made}
        return {"Items": list(org.items.values())}

    def item(self, request, org, key):
        found = [i for i in org.items.values() if key in (i["ItemID"], i["Code"])]
        if not found:
            raise ApiError(404, "The resource you're looking for cannot be found")
        return {"Items": found}

    def tax_rates(self, request, org):
        return {"TaxRates": list(org.tax_rates.values())}

    def invoices(self, request, org):
        if request.method == "PUT":
            unitdp = 4 if request.args.get("unitdp") == "4" else 2
            elements = [self._create(org, e, unitdp) for e in (request.get_json() or {}).get("Invoices") or []]
            if request.args.get("summarizeErrors") != "false" and any(e.get("HasErrors") for e in elements):
                raise ApiError(400, {"ErrorNumber": 10, "Type": "ValidationException",
                                     "Message": "A validation exception occurred", "Elements": elements})
            return {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": "hub", "Invoices": elements}
        rows = [i for i in org.invoices.values()]
        if request.args.get("InvoiceNumbers"):
            rows = [i for i in rows if i["InvoiceNumber"] in request.args["InvoiceNumbers"].split(",")]
        if request.args.get("IDs"):
            rows = [i for i in rows if i["InvoiceID"] in request.args["IDs"].split(",")]
        return {"Invoices": self._page(rows, request)}

    def _create(self, org: Organisation, element: dict, unitdp: int) -> dict:
        errors = ["Invoice # must be unique."] if _taken(org.invoices, "InvoiceNumber", element) else []
        lines, subtotal, total_tax = self._lines(org, element, unitdp, errors)
        if errors:
            return _refused(element, errors)
        iid = str(uuid.uuid4())
        row = {**element, "InvoiceID": iid, "LineItems": lines, "SubTotal": subtotal, "TotalTax": total_tax,
               "Total": subtotal + total_tax, "AmountDue": subtotal + total_tax, "Date": ms_date(element["Date"]),
               "DateString": f"{element['Date']}T00:00:00", "DueDate": ms_date(element["DueDate"]),
               "Status": element.get("Status") or "DRAFT", "StatusAttributeString": "OK", "HasErrors": False}
        org.invoices[iid] = row
        return row

    def _lines(self, org: Organisation, element: dict, unitdp: int, errors: list[str]) -> tuple[list, Decimal, Decimal]:
        """An invoice's or credit note's contact and lines checked (messages added to ``errors``), with
        Xero's amounts: UnitAmount at ``unitdp``, LineAmount, per-line tax (the given TaxAmount, else the rate)."""
        if self.faults.reject_invoices_field:
            errors.append(f"{self.faults.reject_invoices_field} is not valid")
        if (element.get("Contact") or {}).get("ContactID") not in org.contacts:
            errors.append("Contact is not valid: the contact does not exist")
        lines, subtotal, total_tax = [], Decimal(0), Decimal(0)
        for line in element.get("LineItems") or []:
            unit = Decimal(str(line.get("UnitAmount", 0))).quantize(FOUR if unitdp == 4 else CENT, rounding=ROUND_HALF_UP)
            amount = (Decimal(str(line.get("Quantity", 0))) * unit).quantize(CENT, rounding=ROUND_HALF_UP)
            if line.get("AccountCode") != "200":
                errors.append(f"AccountCode {line.get('AccountCode')} is not a valid code for this organisation")
            tax_type = line.get("TaxType")
            if tax_type is not None and tax_type not in org.tax_rates:
                errors.append(f"TaxType {tax_type} is not a valid tax type for this organisation")
            rate = Decimal(str(org.tax_rates.get(tax_type, {}).get("EffectiveRate", 0)))
            # Exclusive: Xero's tax per line at the rate, unless the line gives its TaxAmount
            tax = (Decimal(str(line["TaxAmount"])) if line.get("TaxAmount") is not None and not self.ignore_tax_amount
                   else (amount * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP))
            lines.append({**line, "UnitAmount": unit, "LineAmount": amount, "TaxAmount": tax})
            subtotal += amount
            total_tax += tax
        if not lines:
            errors.append("LineItems must hold at least one line")
        return lines, subtotal, total_tax

    def invoice(self, request, org, key):
        found = [i for i in org.invoices.values() if key in (i["InvoiceID"], i["InvoiceNumber"])]
        if not found:
            raise ApiError(404, "The resource you're looking for cannot be found")
        row = found[0]
        if request.method == "POST":
            wanted = (request.get_json() or {}).get("Status")
            allowed = {"VOIDED": ("AUTHORISED",), "DELETED": ("DRAFT", "SUBMITTED")}.get(wanted, ())
            if row["Status"] not in allowed:
                raise validation([f"Invoice not of valid status for modification (is {row['Status']})"], row)
            row["Status"] = wanted
            row["AmountDue"] = Decimal(0)
        return {"Invoices": [row]}

    # -- credit notes --------------------------------------------------------------------------------

    def credit_notes(self, request, org):
        if request.method == "PUT":
            unitdp = 4 if request.args.get("unitdp") == "4" else 2
            elements = [self._create_credit_note(org, e, unitdp)
                        for e in (request.get_json() or {}).get("CreditNotes") or []]
            if request.args.get("summarizeErrors") != "false" and any(e.get("HasErrors") for e in elements):
                raise ApiError(400, {"ErrorNumber": 10, "Type": "ValidationException",
                                     "Message": "A validation exception occurred", "Elements": elements})
            return {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": "hub", "CreditNotes": elements}
        # no list-of-numbers filter on GET /CreditNotes (unlike InvoiceNumbers): ``where`` it is
        return {"CreditNotes": self._page(self._where(list(org.credit_notes.values()), request.args.get("where")),
                                          request)}

    def _create_credit_note(self, org: Organisation, element: dict, unitdp: int) -> dict:
        errors = []
        if element.get("Type") not in ("ACCRECCREDIT", "ACCPAYCREDIT"):
            errors.append("Type must be ACCRECCREDIT or ACCPAYCREDIT")
        if not element.get("Date"):
            errors.append("Date is required")
        # UNSURE whether Xero refuses a repeated ACCRECCREDIT number (and with which text): the safe reading
        if _taken(org.credit_notes, "CreditNoteNumber", element):
            errors.append("Credit Note # must be unique.")
        lines, subtotal, total_tax = self._lines(org, element, unitdp, errors)
        if errors:
            return _refused(element, errors)
        cid = str(uuid.uuid4())
        status = element.get("Status") or "DRAFT"
        total = subtotal + total_tax
        row = {**element, "CreditNoteID": cid, "LineItems": lines, "SubTotal": subtotal, "TotalTax": total_tax,
               "Total": total, "RemainingCredit": total if status == "AUTHORISED" else Decimal(0),
               "Allocations": [], "Date": ms_date(element["Date"]), "DateString": f"{element['Date']}T00:00:00",
               "Status": status, "StatusAttributeString": "OK", "HasErrors": False}
        org.credit_notes[cid] = row
        return row

    def credit_note(self, request, org, key):
        row = org.credit_notes.get(key)
        if row is None:
            raise ApiError(404, "The resource you're looking for cannot be found")
        return {"CreditNotes": [row]}

    def allocations(self, request, org, key):
        """Allocate an AUTHORISED credit note to AUTHORISED invoices of the same contact: each amount at most
        the credit left and the invoice's AmountDue; the invoice's AmountDue (and AmountCredited) and the
        credit's RemainingCredit move, either is PAID at zero."""
        note = org.credit_notes.get(key)
        if note is None:
            raise ApiError(404, "The resource you're looking for cannot be found")
        made = []
        for allocation in (request.get_json() or {}).get("Allocations") or []:
            invoice = org.invoices.get(str((allocation.get("Invoice") or {}).get("InvoiceID")))
            amount = Decimal(str(allocation.get("Amount", 0)))
            if invoice is None:
                raise validation(["Invoice could not be found"], allocation)
            problems = []
            if note["Status"] != "AUTHORISED" or invoice["Status"] != "AUTHORISED":
                problems.append("Only AUTHORISED credit notes and invoices can be allocated")
            if invoice["Contact"]["ContactID"] != note["Contact"]["ContactID"]:
                problems.append("The credit note and the invoice must be for the same contact")
            if not allocation.get("Date"):
                problems.append("Date is required")
            if not 0 < amount <= min(Decimal(str(note["RemainingCredit"])), Decimal(str(invoice["AmountDue"]))):
                problems.append("Amount must be more than zero and no more than the credit left and the amount due")
            if problems:
                raise validation(problems, allocation)
            invoice["AmountDue"] = Decimal(str(invoice["AmountDue"])) - amount
            invoice["AmountCredited"] = Decimal(str(invoice.get("AmountCredited") or 0)) + amount
            note["RemainingCredit"] = Decimal(str(note["RemainingCredit"])) - amount
            if invoice["AmountDue"] == 0:
                invoice["Status"] = "PAID"
            if note["RemainingCredit"] == 0:
                note["Status"] = "PAID"
            entry = {"AllocationID": str(uuid.uuid4()), "Amount": amount, "Date": ms_date(allocation["Date"]),
                     "Invoice": {"InvoiceID": invoice["InvoiceID"], "InvoiceNumber": invoice["InvoiceNumber"]}}
            note["Allocations"].append(entry)
            made.append(entry)
        return {"Allocations": made}
