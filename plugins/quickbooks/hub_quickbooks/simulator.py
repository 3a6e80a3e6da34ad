"""A local QuickBooks Online (WSGI, werkzeug only) for demo mode and tests.

Same URLs and shapes as the Accounting API v3 and Intuit's OAuth 2.0: the authorize redirect (it
approves at once and names the realm), the token endpoint (codes, refresh tokens rotated on every
refresh; a superseded one is refused at once, the fact sheet's safe reading), ``companyinfo``,
``query`` (strict about escaping), ``customer``, ``item``, ``invoice`` (create, read, void),
``creditmemo`` (create, read: validated like an invoice, with ``RemainingCredit``) and ``batch``,
with ``requestid`` replaying the first answer, QBO's error bodies (lower-case ``fault`` on 401) and
its limits: 500 requests and 40 batches per minute per realm, 10 at once, 30 per batch.

``app.faults`` (hub.plugins.simulator.DestinationFaults) makes it misbehave; ``app.state`` is the
company's data, read by tests.
"""

from __future__ import annotations

import base64
import collections
import secrets
import threading
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from hub.plugins import dumps_exact
from hub.plugins.simulator import DestinationFaults

from .sim_query import QueryParseError, matches, parse

__all__ = ["QboSimulator", "make_app", "SIM_CLIENT_ID", "SIM_CLIENT_SECRET", "SIM_REALM"]

SIM_CLIENT_ID = "ABsimClientId0qbo"
SIM_CLIENT_SECRET = "sim-qbo-client-secret-7f3a"
SIM_REALM = "9130350000000001"
ACCESS_LIFETIME = 3600
PER_MINUTE, BATCHES_PER_MINUTE, CONCURRENT, BATCH_LIMIT = 500, 40, 10, 30
CENT = Decimal("0.01")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, detail: str = "", element: str | None = None,
                 kind: str = "ValidationFault") -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.detail, self.element, self.kind = (
            status, code, message, detail, element, kind)

    def body(self) -> dict:
        error = {"Message": self.message, "Detail": self.detail or self.message, "code": self.code}
        if self.element:
            error["element"] = self.element
        if self.status == 401:  # 401 bodies use lower-case keys
            return {"warnings": None, "intuitObject": None, "fault": {"error": [
                {"message": self.message, "detail": self.detail, "code": self.code}], "type": "AUTHENTICATION"}}
        return {"Fault": {"Error": [error], "type": self.kind}, "time": "2026-01-01T00:00:00.000-08:00"}


@dataclass
class SimState:
    clock: Callable[[], float] = time.time
    lock: threading.RLock = field(default_factory=threading.RLock)
    codes: dict = field(default_factory=dict)             # code -> redirect_uri
    access_tokens: dict = field(default_factory=dict)     # token -> expires at
    refresh_token: str | None = None
    revoked: int = 0                                      # grants ended through the revoke endpoint
    refresh_calls: int = 0
    customers: dict = field(default_factory=dict)
    vendors: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)
    accounts: dict = field(default_factory=dict)
    tax_codes: dict = field(default_factory=dict)
    tax_rates: dict = field(default_factory=dict)         # the TaxRate entities the sales tax codes point at
    invoices: dict = field(default_factory=dict)
    credit_memos: dict = field(default_factory=dict)
    replies: dict = field(default_factory=dict)           # requestid -> (status, body)
    replayed: int = 0                                     # answers given again for a repeated requestid
    fault_codes: list = field(default_factory=list)       # every Fault code answered, in order
    next_id: int = 100
    request_times: collections.deque = field(default_factory=collections.deque)
    batch_times: collections.deque = field(default_factory=collections.deque)
    in_flight: int = 0
    over_limit: int = 0
    requests: list = field(default_factory=list)          # (method, path, args)

    def new_id(self) -> str:
        self.next_id += 1
        return str(self.next_id)

    def issue_tokens(self) -> dict:
        access, self.refresh_token = secrets.token_urlsafe(24), "RT1-" + secrets.token_urlsafe(24)
        self.access_tokens[access] = self.clock() + ACCESS_LIFETIME
        return {"token_type": "bearer", "access_token": access, "expires_in": ACCESS_LIFETIME,
                "refresh_token": self.refresh_token, "x_refresh_token_expires_in": 8726400}

    def expire_access_tokens(self) -> None:
        """Every access token dies now (as after an hour): the next call gets a 401."""
        for token in self.access_tokens:
            self.access_tokens[token] = 0


def seed(state: SimState, customers: int) -> SimState:
    state.accounts["79"] = {"Id": "79", "Name": "Services", "AccountType": "Income", "Active": True}
    state.accounts["80"] = {"Id": "80", "Name": "Other Income", "AccountType": "Other Income", "Active": True}
    for code in ("TAX", "NON"):
        state.tax_codes[code] = {"Id": code, "Name": code, "Active": True}
    add_tax_code(state, "5", "GST", Decimal("15"))
    names = [f"Customer {n:03d}" for n in range(1, customers + 1)]
    if customers >= 2:
        names[1] = "O'Brien IT"
    for name in names:
        cid = state.new_id()
        state.customers[cid] = {"Id": cid, "SyncToken": "0", "DisplayName": name, "CompanyName": name, "Active": True}
    vid = state.new_id()
    state.vendors[vid] = {"Id": vid, "DisplayName": "Fabrikam Supplies", "Active": True}
    iid = state.new_id()
    state.items[iid] = {"Id": iid, "Name": "Managed Endpoint", "Type": "Service", "Active": True, "UnitPrice": Decimal("12.5"),
                        "IncomeAccountRef": {"value": "79"}, "SyncToken": "0"}
    return state


def add_tax_code(state: SimState, code_id: str, name: str, percent: Decimal) -> dict:
    """A (non-US style) sales tax code with one TaxRate of ``percent``."""
    rate_id = f"r{code_id}"
    state.tax_rates[rate_id] = {"Id": rate_id, "Name": f"{name} {percent}%", "RateValue": percent, "Active": True}
    state.tax_codes[code_id] = {"Id": code_id, "Name": name, "Active": True,
                                "SalesTaxRateList": {"TaxRateDetail": [{"TaxRateRef": {"value": rate_id}}]}}
    return state.tax_codes[code_id]


def code_percent(state: SimState, code_id: str | None) -> Decimal:
    code = state.tax_codes.get(code_id) if code_id else None
    details = ((code or {}).get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
    return sum((Decimal(str(state.tax_rates[d["TaxRateRef"]["value"]]["RateValue"])) for d in details), Decimal(0))


def make_app(customers: int = 12, *, clock: Callable[[], float] = time.time,
             sleep: Callable[[float], None] = time.sleep) -> "QboSimulator":
    return QboSimulator(seed(SimState(clock=clock), customers), sleep=sleep)


def _json(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(dumps_exact(body), status=status, headers=headers or {}, content_type="application/json")


class QboSimulator:
    def __init__(self, state: SimState, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.state = state
        self.faults = DestinationFaults()
        self._sleep = sleep
        self.url_map = Map([
            Rule("/connect/oauth2", endpoint="authorize", methods=["GET"]),
            Rule("/oauth2/v1/tokens/bearer", endpoint="token", methods=["POST"]),
            Rule("/v2/oauth2/tokens/revoke", endpoint="revoke", methods=["POST"]),
            Rule("/v3/company/<realm>/companyinfo/<rid>", endpoint="companyinfo", methods=["GET"]),
            Rule("/v3/company/<realm>/query", endpoint="query", methods=["GET", "POST"]),
            Rule("/v3/company/<realm>/customer", endpoint="create_customer", methods=["POST"]),
            Rule("/v3/company/<realm>/item", endpoint="create_item", methods=["POST"]),
            Rule("/v3/company/<realm>/invoice", endpoint="invoice_write", methods=["POST"]),
            Rule("/v3/company/<realm>/invoice/<iid>", endpoint="read_invoice", methods=["GET"]),
            Rule("/v3/company/<realm>/creditmemo", endpoint="create_credit_memo", methods=["POST"]),
            Rule("/v3/company/<realm>/creditmemo/<cid>", endpoint="read_credit_memo", methods=["GET"]),
            Rule("/v3/company/<realm>/batch", endpoint="batch", methods=["POST"]),
        ])

    # -- what tests read ---------------------------------------------------------------------------

    def listed_customer_count(self) -> int:
        return sum(1 for c in self.state.customers.values() if c["Active"])

    def invoices_numbered(self, number: str) -> list[dict]:
        return [i for i in self.state.invoices.values() if i.get("DocNumber") == number]

    def credit_notes_numbered(self, number: str) -> list[dict]:
        return [c for c in self.state.credit_memos.values() if c.get("DocNumber") == number]

    def invoice_state(self, external_id: str) -> str | None:
        row = self.state.invoices.get(str(external_id))
        if row is None:
            return None
        return "voided" if row.get("PrivateNote") == "Voided" else "open"

    def pay(self, external_id: str, amount: Decimal) -> None:
        """A customer payment applied to the invoice in QuickBooks: its Balance goes down."""
        with self.state.lock:
            row = self.state.invoices[str(external_id)]
            row["Balance"] = max(Decimal(str(row["Balance"])) - Decimal(str(amount)), Decimal(0))
            row["SyncToken"] = str(int(row["SyncToken"]) + 1)

    # -- WSGI ----------------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        faults = self.faults
        with self.state.lock:
            self.state.requests.append((request.method, request.path, dict(request.args)))
        if faults.latency:
            self._sleep(faults.latency)
        try:
            endpoint, args = self.url_map.bind_to_environ(request.environ).match()
        except HTTPException as err:
            return _json({"Fault": {"Error": [{"Message": err.name, "code": "0"}]}}, err.code or 404)
        if endpoint in ("authorize", "token", "revoke"):
            return getattr(self, endpoint)(request)
        try:
            if faults.rate_limit_retry_after is not None:  # QBO sends no Retry-After (see the README)
                raise ApiError(429, "3001", "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                               kind="SERVICE")
            if faults.unavailable:
                raise ApiError(faults.unavailable, "10000", "An application error has occurred", kind="SystemFault")
            self._authenticate(request, args.pop("realm"))
            self._limits(endpoint)
            try:
                with self.state.lock:
                    return self._dispatch(request, endpoint, args)
            finally:
                with self.state.lock:
                    self.state.in_flight -= 1
        except ApiError as err:
            return _json(err.body(), err.status)

    def _authenticate(self, request: Request, realm: str) -> None:
        header = request.headers.get("Authorization", "")
        token = header[len("Bearer "):] if header.startswith("Bearer ") else ""
        with self.state.lock:
            expires = self.state.access_tokens.get(token)
            valid = expires is not None and expires > self.state.clock()
        if self.faults.auth or not valid:
            raise ApiError(401, "3200", "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                           "Token expired or invalid")
        if realm != SIM_REALM:
            raise ApiError(403, "3100", "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403")
        if int(request.args.get("minorversion") or 0) < 75:
            # real QBO serves a missing minorversion as 75 (UNSURE); the simulator insists, to catch plugins that forget it
            raise ApiError(400, "4001", "minorversion 75 or newer is required", element="minorversion")

    def _limits(self, endpoint: str) -> None:
        now = time.monotonic()
        with self.state.lock:
            for times in (self.state.request_times, self.state.batch_times):
                while times and times[0] <= now - 60:
                    times.popleft()
            over = (len(self.state.request_times) >= PER_MINUTE or self.state.in_flight >= CONCURRENT
                    or (endpoint == "batch" and len(self.state.batch_times) >= BATCHES_PER_MINUTE))
            self.state.request_times.append(now)
            if endpoint == "batch":
                self.state.batch_times.append(now)
            if over:
                self.state.over_limit += 1
                raise ApiError(429, "3001", "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                               kind="SERVICE")
            self.state.in_flight += 1

    def _dispatch(self, request: Request, endpoint: str, args: dict) -> Response:
        request_id = request.args.get("requestid")
        if request_id and request_id in self.state.replies:
            status, body = self.state.replies[request_id]  # a repeated requestid: the first answer, not re-run
            self.state.replayed += 1
            return _json(body, status)
        body = request.get_json(silent=True) if request.method == "POST" and endpoint != "query" else None
        try:
            status, answer = 200, getattr(self, endpoint)(request, body, **args)
        except ApiError as err:
            if err.status != 400:
                raise
            self.state.fault_codes.append(err.code)
            status, answer = 400, err.body()
        writes = endpoint in ("create_customer", "create_item", "invoice_write", "create_credit_memo", "batch")
        if request_id and writes:
            self.state.replies[request_id] = (status, answer)
        if writes and self.faults.commit_then_hang > 0:
            self.faults.commit_then_hang -= 1
            self.state.lock.release()
            try:
                self._sleep(self.faults.hang_seconds)  # committed; the client gives up before the answer
            finally:
                self.state.lock.acquire()
        return _json(answer, status)

    # -- OAuth -------------------------------------------------------------------------------------

    def authorize(self, request: Request) -> Response:
        if request.args.get("client_id") != SIM_CLIENT_ID or request.args.get("response_type") != "code":
            return Response("unknown client", status=400)
        code = "AB11" + secrets.token_urlsafe(16)
        with self.state.lock:
            self.state.codes[code] = request.args.get("redirect_uri")
        query = urlencode({"code": code, "state": request.args.get("state", ""), "realmId": SIM_REALM})
        return Response("", status=302, headers={"Location": f"{request.args.get('redirect_uri')}?{query}"})

    def token(self, request: Request) -> Response:
        expected = "Basic " + base64.b64encode(f"{SIM_CLIENT_ID}:{SIM_CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return _json({"error": "invalid_client"}, 401)
        grant = request.form.get("grant_type")
        with self.state.lock:
            if grant == "authorization_code":
                redirect = self.state.codes.pop(request.form.get("code", ""), None)
                if redirect is None or redirect != request.form.get("redirect_uri"):
                    return _json({"error": "invalid_grant"}, 400)
                return _json(self.state.issue_tokens())
            if grant == "refresh_token":
                self.state.refresh_calls += 1
                if self.faults.refuse_refresh or not self.state.refresh_token \
                        or request.form.get("refresh_token") != self.state.refresh_token:
                    return _json({"error": "invalid_grant"}, 400)
                return _json(self.state.issue_tokens())  # rotated: the old refresh token dies now
        return _json({"error": "unsupported_grant_type"}, 400)

    def revoke(self, request: Request) -> Response:
        """Intuit's revoke: Basic client credentials, a JSON body ``{"token": <refresh or access token>}``;
        either token ends the whole grant (every token of the connection dies)."""
        expected = "Basic " + base64.b64encode(f"{SIM_CLIENT_ID}:{SIM_CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return _json({"error": "invalid_client"}, 401)
        if self.faults.revoke_status:
            return _json({"error": "server_error"}, self.faults.revoke_status)
        token = str((request.get_json(silent=True) or {}).get("token") or "")
        if not token:
            return _json({"error": "invalid_request"}, 400)
        with self.state.lock:
            if token == self.state.refresh_token or token in self.state.access_tokens:
                self.state.refresh_token = None
                self.state.access_tokens.clear()
                self.state.revoked += 1
        return Response("", status=200)

    # -- API ---------------------------------------------------------------------------------------

    def companyinfo(self, request, body, rid):
        return {"CompanyInfo": {"Id": "1", "CompanyName": "Sandbox Company_US_1", "Country": "US"}}

    def _table(self, entity: str) -> dict:
        tables = {"Customer": self.state.customers, "Item": self.state.items, "Account": self.state.accounts,
                  "TaxCode": self.state.tax_codes, "TaxRate": self.state.tax_rates, "Invoice": self.state.invoices,
                  "Vendor": self.state.vendors, "CreditMemo": self.state.credit_memos}
        if entity not in tables:
            raise ApiError(400, "4000", "Error parsing query", f"QueryParserError: unknown entity {entity}")
        return tables[entity]

    def query(self, request, body, **_):
        text = request.args.get("query") if request.method == "GET" else request.get_data(as_text=True)
        try:
            query = parse(text or "")
        except QueryParseError as err:
            raise ApiError(400, "4000", "Error parsing query", f"QueryParserError: {err}") from None
        if self.faults.malformed:
            return Response("{\"QueryResponse\": {", content_type="application/json")
        rows = [r for r in self._table(query.entity).values() if matches(r, query)]
        if query.count:
            return {"QueryResponse": {"totalCount": len(rows)}}
        if self.faults.cut_listing and query.start > 1:
            raise ApiError(500, "10000", "An application error has occurred", kind="SystemFault")
        page = rows[query.start - 1:query.start - 1 + query.max_results]
        if not page:
            return {"QueryResponse": {}, "time": "2026-01-01T00:00:00.000-08:00"}
        return {"QueryResponse": {query.entity: page, "startPosition": query.start, "maxResults": len(page)}}

    def _unique_name(self, name: str) -> None:
        taken = [r for t in (self.state.customers, self.state.vendors) for r in t.values()
                 if r["DisplayName"].casefold() == name.casefold()]
        if taken:
            raise ApiError(400, "6240", "Duplicate Name Exists Error", "The name supplied already exists. : Another "
                           "customer, vendor or employee is already using this name. Please use a different name.")

    def create_customer(self, request, body, **_):
        return {"Customer": self._customer(body or {})}

    def _customer(self, body: dict) -> dict:
        name = str(body.get("DisplayName") or "").strip()
        if not name:
            raise ApiError(400, "2020", "Required param missing, need to supply the required value for the API",
                           element="DisplayName")
        self._unique_name(name)
        cid = self.state.new_id()
        row = {**body, "Id": cid, "SyncToken": "0", "DisplayName": name, "Active": True}
        self.state.customers[cid] = row
        return row

    def create_item(self, request, body, **_):
        body = body or {}
        name = str(body.get("Name") or "").strip()
        if not name:
            raise ApiError(400, "2020", "Required param missing", element="Name")
        if any(i["Name"].casefold() == name.casefold() for i in self.state.items.values()):
            raise ApiError(400, "6240", "Duplicate Name Exists Error", "The name supplied already exists.")
        if body.get("Type") in ("Service", "NonInventory") and \
                (body.get("IncomeAccountRef") or {}).get("value") not in self.state.accounts:
            raise ApiError(400, "2500", "Invalid Reference Id", "Invalid Reference Id : Accounts element id",
                           element="IncomeAccountRef")
        iid = self.state.new_id()
        row = {**body, "Id": iid, "SyncToken": "0", "Name": name, "Active": True}
        self.state.items[iid] = row
        return {"Item": row}

    def invoice_write(self, request, body, **_):
        body = body or {}
        if request.args.get("operation") == "void":
            return {"Invoice": self._void(body)}
        return {"Invoice": self._invoice(body)}

    def _invoice(self, body: dict) -> dict:
        return self._sales_transaction(body, self.state.invoices, "Invoice")

    def _sales_transaction(self, body: dict, table: dict, kind: str) -> dict:
        """An Invoice or a CreditMemo: the same references, line and amount checks; a DocNumber unique
        among its kind (UNSURE whether QuickBooks checks credit memo numbers: the safe reading, it does)."""
        if self.faults.reject_invoices_field:
            raise ApiError(400, "2050", "A business validation error has occurred",
                           f"Invalid value for {self.faults.reject_invoices_field}",
                           element=self.faults.reject_invoices_field)
        customer = (body.get("CustomerRef") or {}).get("value")
        if customer not in self.state.customers:
            raise ApiError(400, "2500", "Invalid Reference Id", "Invalid Reference Id : Something you're trying to "
                           "use has been made inactive. Check the fields with accounts, customers, items, vendors "
                           "or employees.", element="CustomerRef")
        lines = body.get("Line") or []
        if not lines:
            raise ApiError(400, "2020", "Required param missing, need to supply the required value for the API",
                           element="Line")
        total, tax = Decimal(0), Decimal(0)
        for n, line in enumerate(lines):
            detail = line.get("SalesItemLineDetail") or {}
            if (detail.get("ItemRef") or {}).get("value") not in self.state.items:
                raise ApiError(400, "2500", "Invalid Reference Id", "Invalid Reference Id : Item", element=f"Line[{n}]")
            qty, price = Decimal(str(detail.get("Qty", 0))), Decimal(str(detail.get("UnitPrice", 0)))
            amount = Decimal(str(line.get("Amount")))
            if amount != (qty * price).quantize(CENT, rounding=ROUND_HALF_UP):
                raise ApiError(400, "6070", "Amount is not equal to UnitPrice * Qty",
                               f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount}", element=f"Line[{n}]")
            code = (detail.get("TaxCodeRef") or {}).get("value")
            if code is not None and code not in self.state.tax_codes:
                raise ApiError(400, "2500", "Invalid Reference Id", "Invalid Reference Id : TaxCode",
                               element=f"Line[{n}]")
            # QuickBooks' own tax: per line at the code's rate (used unless TxnTaxDetail.TotalTax overrides it)
            tax += (amount * code_percent(self.state, code) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
            total += amount
        number = body.get("DocNumber")
        if number is not None and len(str(number)) > 21:
            raise ApiError(400, "2050", "String length is either shorter or longer than supported by specification",
                           "Max allowed length is 21", element="DocNumber")
        taken = [r for r in table.values() if number and r.get("DocNumber") == number]
        if taken:
            raise ApiError(400, "6140", "Duplicate Document Number Error",
                           f"Duplicate Document Number Error : You must specify a different number. This number has "
                           f"already been used. DocNumber={number} is assigned to TxnType={kind} with "
                           f"TxnId={taken[0]['Id']}")
        iid = self.state.new_id()
        given = (body.get("TxnTaxDetail") or {}).get("TotalTax")
        tax = Decimal(str(given)) if given is not None else tax
        row = {**body, "Id": iid, "SyncToken": "0", "TotalAmt": total + tax, "Balance": total + tax,
               "TxnTaxDetail": {"TotalTax": tax},
               "Line": lines + [{"DetailType": "SubTotalLineDetail", "Amount": total, "SubTotalLineDetail": {}}]}
        if kind == "CreditMemo":
            row["RemainingCredit"] = total + tax  # nothing applied yet
        table[iid] = row
        return row

    def create_credit_memo(self, request, body, **_):
        return {"CreditMemo": self._sales_transaction(body or {}, self.state.credit_memos, "CreditMemo")}

    def read_credit_memo(self, request, body, cid):
        row = self.state.credit_memos.get(cid)
        if row is None:
            raise ApiError(400, "610", "Object Not Found", "Object Not Found")
        return {"CreditMemo": row}

    def _void(self, body: dict) -> dict:
        row = self.state.invoices.get(str(body.get("Id")))
        if row is None:
            raise ApiError(400, "610", "Object Not Found", "Object Not Found : Something you're trying to use has "
                           "been made inactive.")
        if str(body.get("SyncToken")) != row["SyncToken"]:
            raise ApiError(400, "5010", "Stale Object Error", "Stale Object Error : You and Someone were working on "
                           "this at the same time.")
        row.update(TotalAmt=Decimal(0), Balance=Decimal(0), PrivateNote="Voided",
                   SyncToken=str(int(row["SyncToken"]) + 1))
        return row

    def read_invoice(self, request, body, iid):
        row = self.state.invoices.get(iid)
        if row is None:
            raise ApiError(400, "610", "Object Not Found", "Object Not Found")
        return {"Invoice": row}

    def batch(self, request, body, **_):
        items = (body or {}).get("BatchItemRequest") or []
        if len(items) > BATCH_LIMIT:
            raise ApiError(400, "4000", f"Batch size exceeds {BATCH_LIMIT}", element="BatchItemRequest")
        answers = []
        for item in items:
            bid = item.get("bId")
            try:
                if "Query" in item:
                    request_like = type("Q", (), {"method": "POST", "get_data": lambda self, as_text: item["Query"]})()
                    answers.append({"bId": bid, **self.query(request_like, None)})
                elif item.get("operation") == "create" and "Invoice" in item:
                    answers.append({"bId": bid, "Invoice": self._invoice(item["Invoice"])})
                elif item.get("operation") == "create" and "Customer" in item:
                    answers.append({"bId": bid, "Customer": self._customer(item["Customer"])})
                elif item.get("optionsData") == "void" and "Invoice" in item:
                    answers.append({"bId": bid, "Invoice": self._void(item["Invoice"])})
                else:
                    raise ApiError(400, "4000", "Unsupported batch operation")
            except ApiError as err:
                self.state.fault_codes.append(err.code)
                answers.append({"bId": bid, "Fault": err.body()["Fault"]})
        return {"BatchItemResponse": answers, "time": "2026-01-01T00:00:00.000-08:00"}
