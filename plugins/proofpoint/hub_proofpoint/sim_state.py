"""The simulated Proofpoint Essentials account: a partner, its organizations and sub-partners.

Tests and demo mode edit it between syncs (``app.state``): add, remove, rename, suspend, change
counts. Seeding is deterministic, so the same ``customers`` number always gives the same orgs.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

PARTNER_DOMAIN = "northwind-msp.example"
PARTNER_NAME = "Northwind Managed Services"
USERNAME = "billing-admin@northwind-msp.example"
PASSWORD = "demo-Proofpoint-pass"

_FIRST = ("Blue Peak", "Harbor Lane", "Cedar Ridge", "Ironwood", "Maple Grove", "Silver Creek", "Oakhurst",
          "Redstone", "Willow Bay", "Granite", "Lakeside", "Pinecrest", "Summit View", "Riverbend", "Fairfield",
          "Kingsbridge", "Brightwater", "Stonegate", "Westmoor", "Elm Street", "Copperleaf", "Foxhill",
          "Northgate", "Sandy Point", "Highland", "Clearview", "Amberfield", "Bayside", "Hollow Oak", "Juniper")
_SECOND = ("Dental", "Legal", "Accounting", "Veterinary Clinic", "Logistics", "Architects", "Family Practice",
           "Realty", "Engineering", "Insurance Agency", "Auto Repair", "Bakery", "Construction", "Pharmacy",
           "Consulting", "Marketing", "Chiropractic", "Property Management", "Print Shop", "Credit Union")
_FORM = ("", " LLC", " Ltd", " Inc", " & Co", " Group", " Partners")
#: package -> weight in the seed
_PACKAGES = (("business", 45), ("advanced", 25), ("professional", 14), ("beginner", 12), ("professional_plus", 4))
_PEOPLE = ("ann", "bo", "carla", "dev", "eli", "fatima", "gus", "hana", "ivan", "jo", "kim", "luis", "mia", "noor")


@dataclass
class SimOrg:
    eid: int
    name: str
    primary_domain: str
    parent: str | None
    type: str = "organization"
    is_active: bool = True
    is_on_trial: bool = False
    licensing_package: str = "business"
    is_beginner_plus: bool = False
    user_licenses: int = 10
    active_users: int = 8
    when_renewal: str = "2026-06-30"
    domains: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """The org object as the real API shapes it (a representative subset of its fields)."""
        return {
            "eid": self.eid, "name": self.name, "primary_domain": self.primary_domain, "type": self.type,
            "organization_hierarchy": None, "is_active": self.is_active, "is_on_trial": self.is_on_trial,
            "licensing_package": self.licensing_package, "is_beginner_plus": self.is_beginner_plus,
            "is_beginner_plus_enabled": self.is_beginner_plus, "user_licenses": self.user_licenses,
            "active_users": self.active_users, "when_renewal": self.when_renewal,
            "www": f"https://www.{self.primary_domain}", "address": f"{100 + self.eid % 900} Commerce Way",
            "postcode": f"{10000 + self.eid % 89999}", "stateprov": "WA", "country": "US", "phone": "+1 555 0100",
            "admin_user": f"it@{self.primary_domain}",
            "domains": [{"name": d, "is_active": True, "is_relay": True,
                         "destination": f"{d.replace('.', '-')}.mail.protection.outlook.com", "failovers": []}
                        for d in [self.primary_domain, *self.domains]],
            "safe_list_senders": [], "block_list_senders": [], "outgoing_servers": [],
            "is_smtp_discovery_enabled": False, "send_welcome_email": False,
        }

    def users(self) -> list[dict]:
        """``active_users`` billable active users, one functional account and one disabled user."""
        users = []
        for n in range(self.active_users):
            person = f"{_PEOPLE[n % len(_PEOPLE)]}{n // len(_PEOPLE) or ''}"
            users.append(_user(self.eid * 1000 + n, f"{person}@{self.primary_domain}",
                               "organization_admin" if n == 0 else "end_user", True, True))
        base = self.eid * 1000 + self.active_users
        users.append(_user(base, f"scanner@{self.primary_domain}", "functional_account", True, False))
        users.append(_user(base + 1, f"former.staff@{self.primary_domain}", "end_user", False, True))
        return users


def _user(uid: int, email: str, kind: str, active: bool, billable: bool) -> dict:
    first = email.split("@")[0].split(".")[0].capitalize()
    return {"uid": uid, "primary_email": email, "firstname": first, "surname": "", "type": kind,
            "is_active": active, "is_billable": billable, "alias_emails": [], "read_only_user": False,
            "safe_list_senders": [], "block_list_senders": []}


class SimState:
    """All orgs by primary domain, the partner itself included. Thread-safe: the server is threaded."""

    def __init__(self, partner_domain: str = PARTNER_DOMAIN, partner_name: str = PARTNER_NAME,
                 username: str = USERNAME, password: str = PASSWORD) -> None:
        self.lock = threading.RLock()
        self.username, self.password = username, password
        self.partner_domain = partner_domain
        self.orgs: dict[str, SimOrg] = {}
        #: domains served by another stack: this one answers 404 for them, /endpoints names the host
        self.other_stacks: dict[str, str] = {}
        self._next_eid = 1183400
        self.add_org(partner_name, partner_domain, parent=None, type="channel", user_licenses=0, active_users=0)

    # -- editing (tests and demo) ----------------------------------------------------------------

    def add_org(self, name: str, domain: str | None = None, *, parent: str | None = "", **fields) -> SimOrg:
        with self.lock:
            domain = (domain or _domain_for(name)).lower()
            if domain in self.orgs:
                raise ValueError(f"{domain} exists")
            parent = self.partner_domain if parent == "" else parent
            if parent is not None and parent not in self.orgs:
                raise ValueError(f"no parent org {parent}")
            self._next_eid += 1
            org = SimOrg(eid=self._next_eid, name=name, primary_domain=domain, parent=parent, **fields)
            self.orgs[domain] = org
            return org

    def add_partner(self, name: str, domain: str | None = None, *, parent: str | None = "") -> SimOrg:
        return self.add_org(name, domain, parent=parent, type="channel", user_licenses=0, active_users=0)

    def remove_org(self, key: str | int) -> SimOrg:
        """Delete an org: it disappears from listings and answers 404 (partners must be empty)."""
        with self.lock:
            org = self.find(key)
            if org is None:
                raise KeyError(key)
            if self.children(org.primary_domain):
                raise ValueError(f"{org.primary_domain} still has organizations")
            return self.orgs.pop(org.primary_domain)

    def update(self, key: str | int, **fields) -> SimOrg:
        """Change fields of an org: ``name``, ``is_active``, ``active_users``, ``licensing_package`` ..."""
        with self.lock:
            org = self.find(key)
            if org is None:
                raise KeyError(key)
            for name, value in fields.items():
                if not hasattr(org, name) or name in ("eid", "primary_domain", "parent"):
                    raise AttributeError(f"cannot set {name}")
                setattr(org, name, value)
            return org

    def rename_org(self, key: str | int, name: str) -> SimOrg:
        return self.update(key, name=name)

    def set_counts(self, key: str | int, *, active_users: int | None = None,
                   user_licenses: int | None = None) -> SimOrg:
        changes = {k: v for k, v in (("active_users", active_users), ("user_licenses", user_licenses))
                   if v is not None}
        return self.update(key, **changes)

    # -- reading (the app) -----------------------------------------------------------------------

    def find(self, key: str | int) -> SimOrg | None:
        """By eid, primary domain or any of its domains (the API accepts any associated domain)."""
        with self.lock:
            if isinstance(key, int) or str(key).isdigit():
                return next((o for o in self.orgs.values() if o.eid == int(key)), None)
            key = str(key).lower()
            return self.orgs.get(key) or next((o for o in self.orgs.values() if key in o.domains), None)

    def children(self, domain: str) -> list[SimOrg]:
        with self.lock:
            return [o for o in self.orgs.values() if o.parent == domain]

    def customers(self) -> list[SimOrg]:
        """Every org of type organization anywhere in the tree (what a full sync should list)."""
        with self.lock:
            return [o for o in self.orgs.values() if o.type == "organization"]


def seed(state: SimState, customers: int, *, seed_value: int = 20250501) -> SimState:
    """About ``customers`` organizations: mixed packages, some suspended or on trial, and one
    sub-partner (channel) holding about a tenth of them once there are ten or more."""
    rng = random.Random(seed_value)
    sub_partner = None
    if customers >= 10:
        sub_partner = state.add_partner("Summit IT Partners", "summit-it.example").primary_domain
    packages, weights = zip(*_PACKAGES)
    for n in range(customers):
        name = _unique_name(rng, state, n)
        package = rng.choices(packages, weights)[0]
        active = rng.randint(3, 120) if rng.random() > 0.1 else rng.randint(150, 900)
        # fixed shares, so even a small demo has some of each: 1 in 15 suspended, 1 in 12 on trial
        suspended = n % 15 == 4
        trial = not suspended and n % 12 == 7
        state.add_org(
            name, parent=sub_partner if sub_partner and n % 10 == 9 else "",
            licensing_package=package, is_beginner_plus=package == "beginner" and rng.random() < 0.3,
            active_users=0 if suspended and rng.random() < 0.5 else active,
            user_licenses=active + rng.choice((0, 0, 2, 5, 10, 25)),
            is_active=not suspended, is_on_trial=trial,
            when_renewal=f"2026-{rng.randint(1, 12):02d}-28",
        )
    return state


def _unique_name(rng: random.Random, state: SimState, n: int) -> str:
    """A made-up business name whose domain is not taken yet."""
    for _ in range(50):
        name = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)}{rng.choice(_FORM)}"
        if _domain_for(name) not in state.orgs:
            return name
    return f"{rng.choice(_FIRST)} {rng.choice(_SECOND)} {n}"


def _domain_for(name: str) -> str:
    words = [w for w in "".join(c if c.isalnum() else " " for c in name.lower()).split()
             if w not in ("llc", "ltd", "inc", "co", "group", "partners")]
    return "-".join(words) + ".example"
