"""Suggested Organizations for Not mapped vendor customers, each with a score and the reasons.

Signals, strongest first: the same web domain (the customer's ``extra["domain"]``, or a name that is a
domain, against ``Organization.domain``); the same normalised name; the same name already mapped in
another vendor; a similar name (difflib ratio). Fuzzy matching only compares names that share a
word, so thousands of customers against thousands of Organizations stay fast.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from sqlalchemy import select

from hub.extensions import db
from hub.models import Organization, VendorCustomer, VendorIntegration

LEGAL_WORDS = frozenset("""inc incorporated llc llp ltd limited gmbh mbh ag sa sarl sas srl spa bv nv plc pty pte
co corp corporation company the kg oy ab as aps""".split())
DOMAIN_RE = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z]{2,}$")
FUZZY_FLOOR = 0.8
CONTAINED = 0.85
MAX_CANDIDATES = 25

SCORE_DOMAIN = 0.98
SCORE_SAME_NAME = 0.95
SCORE_EARLIER = 0.9


def normalise(name: str) -> str:
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ")
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w and w not in LEGAL_WORDS]
    return " ".join(words)


def domain_of(value: str | None) -> str | None:
    if not value or not isinstance(value, str):
        return None
    text = value.strip().lower()
    text = re.sub(r"^[a-z]+://", "", text).split("/")[0]
    text = text.removeprefix("www.")
    return text if DOMAIN_RE.match(text) else None


@dataclass
class Suggestion:
    customer_id: int
    customer_name: str
    organization_id: int
    organization_name: str
    score: float
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"customer_id": self.customer_id, "customer_name": self.customer_name,
                "organization_id": self.organization_id, "organization_name": self.organization_name,
                "score": round(self.score, 2), "reasons": self.reasons}


class _OrgIndex:
    def __init__(self, organizations: list[tuple[int, str, str | None]]) -> None:
        self.names = {oid: name for oid, name, _ in organizations}
        self.by_domain: dict[str, int] = {}
        self.by_norm: dict[str, int] = {}
        self.norm: dict[int, str] = {}
        self.by_word: dict[str, list[int]] = defaultdict(list)
        for oid, name, domain in organizations:
            d = domain_of(domain)
            if d:
                self.by_domain.setdefault(d, oid)
            n = normalise(name)
            self.norm[oid] = n
            self.by_norm.setdefault(n, oid)
            for word in set(n.split()):
                self.by_word[word].append(oid)

    def fuzzy(self, norm: str) -> tuple[int, float] | None:
        words = set(norm.split())
        if not words:
            return None
        shared: dict[int, int] = defaultdict(int)
        # rare words first: they say most about a name, and common ones would list everything
        for word in sorted(words, key=lambda w: len(self.by_word.get(w, ()))):
            for oid in self.by_word.get(word, ())[:500]:
                shared[oid] += 1
        best = None
        for oid in sorted(shared, key=shared.get, reverse=True)[:MAX_CANDIDATES]:
            ratio = similarity(norm, words, self.norm[oid])
            if ratio >= FUZZY_FLOOR and (best is None or ratio > best[1]):
                best = (oid, ratio)
        return best


def similarity(norm: str, words: set[str], other: str) -> float:
    """difflib's ratio, raised to CONTAINED when every word of one name is in the other
    ("Wingtip" and "Wingtip Toys"), which the character ratio alone underrates."""
    other_words = set(other.split())
    shorter = words if len(words) <= len(other_words) else other_words
    if shorter <= (words & other_words) and sum(len(w) for w in shorter) >= 4:
        contained = CONTAINED
    else:
        contained = 0.0
    matcher = SequenceMatcher(None, norm, other)
    if max(contained, matcher.real_quick_ratio()) < FUZZY_FLOOR or max(contained, matcher.quick_ratio()) < FUZZY_FLOOR:
        return contained
    return max(contained, matcher.ratio())


def _earlier_mappings(integration_id: int) -> dict[str, tuple[int, str]]:
    """{normalised name: (organization id, vendor slug)} from mappings made in other vendors."""
    earlier: dict[str, tuple[int, str]] = {}
    rows = db.session.execute(
        select(VendorCustomer.name, VendorCustomer.organization_id, VendorIntegration.slug)
        .join(VendorIntegration, VendorIntegration.id == VendorCustomer.integration_id)
        .where(VendorCustomer.integration_id != integration_id, VendorCustomer.organization_id.is_not(None)))
    for name, organization_id, slug in rows:
        earlier.setdefault(normalise(name), (organization_id, slug))
    return earlier


def suggest(integration_id: int, customer_ids: list[int] | None = None, min_score: float = 0.0,
            limit: int = 200) -> list[Suggestion]:
    """The best Organization for each Not mapped customer of this integration, best scores first."""
    index = _OrgIndex([tuple(row) for row in db.session.execute(
        select(Organization.id, Organization.name, Organization.domain))])
    if not index.names:
        return []
    earlier = _earlier_mappings(integration_id)
    stmt = select(VendorCustomer.id, VendorCustomer.name, VendorCustomer.extra).where(
        VendorCustomer.integration_id == integration_id, VendorCustomer.organization_id.is_(None),
        VendorCustomer.detached_at.is_(None))
    if customer_ids is not None:
        stmt = stmt.where(VendorCustomer.id.in_(customer_ids))
    found: list[Suggestion] = []
    for customer_id, name, extra in db.session.execute(stmt):
        best = _best_for(name, extra or {}, index, earlier)
        if best and best[1] >= min_score:
            oid, score, reasons = best
            found.append(Suggestion(customer_id, name, oid, index.names[oid], score, reasons))
    found.sort(key=lambda s: (-s.score, s.customer_name.lower(), s.customer_id))
    return found[:limit]


def _best_for(name: str, extra: dict, index: _OrgIndex, earlier: dict) -> tuple[int, float, list[str]] | None:
    votes: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for domain in {domain_of(extra.get("domain")), domain_of(name)} - {None}:
        if domain in index.by_domain:
            votes[index.by_domain[domain]].append((SCORE_DOMAIN, f"same domain {domain}"))
    norm = normalise(name)
    if norm and norm in index.by_norm:
        votes[index.by_norm[norm]].append((SCORE_SAME_NAME, "same name"))
    if norm and norm in earlier:
        oid, slug = earlier[norm]
        if oid in index.names:
            votes[oid].append((SCORE_EARLIER, f"mapped to it in {slug}"))
    if not votes and norm:
        fuzzy = index.fuzzy(norm)
        if fuzzy:
            votes[fuzzy[0]].append((round(fuzzy[1] * 0.9, 2), f"similar name ({round(fuzzy[1] * 100)}%)"))
    if not votes:
        return None

    def combined(signals: list[tuple[float, str]]) -> float:
        miss = 1.0
        for score, _ in signals:  # independent signals agreeing raise confidence
            miss *= 1 - score
        return 1 - miss

    oid = max(votes, key=lambda o: combined(votes[o]))
    signals = sorted(votes[oid], reverse=True)
    return oid, min(combined(signals), 0.99), [reason for _, reason in signals]
